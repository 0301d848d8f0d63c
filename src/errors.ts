// the one shape of an error caused by a file (or a buffer named like one): new XError(source, problem),
// whose message starts with the source, so the person reading it knows which file to look at
export class SourceError extends Error {
  readonly source: string;
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.source = source;
    this.name = new.target.name;
  }
}
