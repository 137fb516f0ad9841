// Module hooks (node:module register) for the tests: they resolve every "@nestjs/..." import
// from the NestJS 11 tree in .cache/nestjs11 instead of the devDependencies' NestJS 12 (see
// test/support/nestjs11.ts).
let parentURL;

export function initialize(data) {
  parentURL = data.parentURL;
}

export function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith("@nestjs/")) return nextResolve(specifier, { ...context, parentURL });
  return nextResolve(specifier, context);
}
