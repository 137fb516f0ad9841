#!/usr/bin/env node
// The `sessionbridge` binary.
import { main } from "./run.ts";

// Output piped into `head` and the like: a closed pipe ends the command quietly, as for any
// Unix tool, instead of an unhandled EPIPE stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
