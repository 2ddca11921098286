/**
 * Start-up cannot go on: a port in use, a database that does not answer, a data directory that
 * cannot be used. The message is one line for the operator, naming the setting involved; the
 * command line prints it as it is and exits.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}
