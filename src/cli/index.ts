// blasprop: train a network on MNIST from the shell, check its gradients, show what it runs on.
// this file picks the command and turns whatever it throws into one line on stderr and an exit code.
//
// exit codes: 0 done; 1 a failure while running (missing data, unwritable file, backend that
// cannot load); 2 a usage mistake (unknown flag, bad flag value); 130 a training run stopped by
// Ctrl-C, whose log, plot and summary were still written (a second Ctrl-C quits at once, writing nothing).

import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './args.js';
import { version } from './version.js';

// each command's module, loaded when that command runs: start-up pays only for its own code (train
// need not load ONNX's protobuf, PNG decoding or the CSV parser of the others)
interface Command {
  run(args: string[]): Promise<number> | number;
  usage: string;
}
const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => { const m = await import('./train.js'); return { run: m.trainCommand, usage: m.TRAIN_USAGE }; },
  eval: async () => { const m = await import('./eval.js'); return { run: m.evalCommand, usage: m.EVAL_USAGE }; },
  predict: async () => { const m = await import('./predict.js'); return { run: m.predictCommand, usage: m.PREDICT_USAGE }; },
  export: async () => { const m = await import('./export.js'); return { run: m.exportCommand, usage: m.EXPORT_USAGE }; },
  gradcheck: async () => { const m = await import('./gradcheck.js'); return { run: m.gradcheckCommand, usage: m.GRADCHECK_USAGE }; },
  info: async () => { const m = await import('./info.js'); return { run: m.infoCommand, usage: m.INFO_USAGE }; },
};

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
  if (command !== undefined && Object.hasOwn(COMMANDS, command)) return (await COMMANDS[command]!()).run(rest);
  switch (command) {
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

// one line on stderr and an exit code; never a stack trace (BLASPROP_DEBUG=1 shows it)
async function report(e: unknown, command: string | undefined): Promise<number> {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`blasprop: ${message.split('\n').filter((s) => s.trim() !== '').join(' ')}\n`);
  if (process.env.BLASPROP_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  if (!(e instanceof UsageError)) return EXIT_FAILURE;
  const known = command !== undefined && Object.hasOwn(COMMANDS, command);
  if (e.showUsage) {
    process.stderr.write(`\n${known ? (await COMMANDS[command!]!()).usage : USAGE}\n`);
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
    return await report(e, argv[0]);
  }
}
