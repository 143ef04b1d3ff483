/** The one error a corpus file can raise; its own module so that every parser (and the metadata
 * schema, which the document types depend on) can throw it without an import circle. */
/** A malformed input: always names the file, and the field when there is one. */
export class CorpusError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
    this.name = 'CorpusError';
  }
}
