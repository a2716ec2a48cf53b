// The benchmark's API server on 127.0.0.1: answers every request with a
// small JSON body, checking the bearer token like a real API would.
import { createServer } from 'node:http';

const server = createServer((request, response) => {
  const ok = (request.headers.authorization ?? '').startsWith('Bearer bench-');
  response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
  response.end(ok ? '{"ok":true,"user":"bench"}' : '{"error":"unauthorized"}');
});
server.keepAliveTimeout = 1000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
