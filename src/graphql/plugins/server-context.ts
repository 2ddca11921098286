/**
 * What yoga's server context carries for one request: Node's request (for the client's address)
 * and the gate's state, kept there from the first hook to the log line so no side registry is needed.
 */
import type { RequestState } from '../../gate/request.js';

export interface GateServerContext {
  req?: { socket?: { remoteAddress?: string } };
  gate?: RequestState;
}
