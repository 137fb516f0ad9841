/** Reads a command's value: the argument itself, or standard input for `-`. */
import { text } from "node:stream/consumers";

/** The argument, or all of standard input when it is `-`. */
export async function readInput(value: string): Promise<string> {
  return value === "-" ? text(process.stdin) : value;
}
