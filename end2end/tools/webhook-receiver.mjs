// A webhook receiver for the tests: an HTTP server on 127.0.0.1 that answers each POST with
// the status the test asked for, and prints every request it received as one JSON line on
// stdout ({"status", "headers", "body"}). The first line is {"listening": <port>}.
// Usage: node webhook-receiver.mjs <port> [<status>...]   (statuses used in turn, then 200)
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const statuses = process.argv.slice(3).map(Number);

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const status = statuses.length > 0 ? statuses.shift() : 200;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status < 300 ? 'ok' : 'not now');
    process.stdout.write(JSON.stringify({ status, method: req.method, url: req.url, headers: req.headers, body }) + '\n');
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
