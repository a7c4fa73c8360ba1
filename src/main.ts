import { main as cliMain, defaultIo, type Io } from './cli/main.js';
import { registerLab } from './lab/command.js';

/**
 * The program's entry: the CLI with the commands of the stages after it (the lab). Imports flow downstream only, so
 * the CLI does not import the lab; this module composes both.
 */
export function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  return cliMain(argv, io, [registerLab]);
}
