// The Express 4 devDependency, installed under the npm alias "express4" (see package.json),
// typed with Express 5's typings: the tests use only what both majors share.
declare module "express4" {
  import express from "express";
  export default express;
}
