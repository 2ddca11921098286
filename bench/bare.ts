/**
 * The floor for the authorizer: plain node:http answering every request 200 with an empty body,
 * as the authorizer answers an allowed call. Nothing per request but Node's HTTP.
 */
import { createServer } from 'node:http';

createServer((_request, response) => response.writeHead(200, { 'content-length': '0' }).end()).listen(Number(process.env.PORT), '127.0.0.1');
