// blasprop: train a network on MNIST from the shell, check its gradients, show what it runs on.
// this file picks the command and turns whatever it throws into one line on stderr and an exit code.
//
// exit codes: 0 done; 1 a failure while running (missing data, unwritable file, backend that
// cannot load); 2 a usage mistake (unknown flag, bad flag value); 130 a training run stopped by
// Ctrl-C, whose log, plot and summary were still written (a second Ctrl-C quits at once, writing nothing).

import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './args.js';
import { EVAL_USAGE, evalCommand } from './eval.js';
import { EXPORT_USAGE, exportCommand } from './export.js';
import { GRADCHECK_USAGE, gradcheckCommand } from './gradcheck.js';
import { INFO_USAGE, infoCommand } from './info.js';
import { PREDICT_USAGE, predictCommand } from './predict.js';
import { TRAIN_USAGE, trainCommand } from './train.js';
import { version } from './version.js';

const USAGE = `Usage: blasprop <command> [options]

Train neural networks on MNIST with backpropagation (Deep Learning from Scratch, chapter 5);
the matrix maths runs on OpenBLAS.

Commands:
  train       train a network and report its accuracy (the book's 784-50-10 run by default);
              checkpoint and resume it, save the model
  eval        the accuracy of a saved model on MNIST-format data
  predict     classify images (an IDX images file, or PNG pictures of digits) with a saved model
  export      write a saved model as an ONNX file, for ONNX Runtime (browsers, Python, C#, Node)
  gradcheck   compare backprop with numerical gradients, as the book's gradient_check
  info        show the backend, the OpenBLAS build and its threads

Options:
  -h, --help     show this help (or a command's: blasprop train --help)
  -v, --version  show the version

Exit codes: 0 done, 1 failure, 2 usage error, 130 training stopped by Ctrl-C.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'train':
      return trainCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'predict':
      return predictCommand(rest);
    case 'export':
      return exportCommand(rest);
    case 'gradcheck':
      return gradcheckCommand(rest);
    case 'info':
      return infoCommand(rest);
    case undefined:
      process.stderr.write(USAGE + '\n');
      return EXIT_USAGE;
    case 'help':
    case '-h':
    case '--help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case '-v':
    case '--version':
      process.stdout.write(version() + '\n');
      return 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (expected train, gradcheck, eval, predict, export or info)`, true);
  }
}

const COMMAND_USAGE: Record<string, string> = { train: TRAIN_USAGE, eval: EVAL_USAGE, predict: PREDICT_USAGE, export: EXPORT_USAGE, gradcheck: GRADCHECK_USAGE, info: INFO_USAGE };

// one line on stderr and an exit code; never a stack trace (BLASPROP_DEBUG=1 shows it)
function report(e: unknown, command: string | undefined): number {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`blasprop: ${message.split('\n').filter((s) => s.trim() !== '').join(' ')}\n`);
  if (process.env.BLASPROP_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  if (!(e instanceof UsageError)) return EXIT_FAILURE;
  const known = command !== undefined && Object.hasOwn(COMMAND_USAGE, command);
  if (e.showUsage) {
    process.stderr.write(`\n${known ? COMMAND_USAGE[command!] : USAGE}\n`);
  } else {
    process.stderr.write(`run 'blasprop ${known ? `${command} ` : ''}--help' for usage\n`);
  }
  return EXIT_USAGE;
}

// runs one command line (the arguments after `blasprop`) and returns the exit code
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    return report(e, argv[0]);
  }
}
