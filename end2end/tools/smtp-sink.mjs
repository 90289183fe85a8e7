// A real SMTP server on 127.0.0.1 for tests: accepts every message and prints one JSON line per
// message on stdout ({"from", "to", "raw"}). The first line is {"listening": <port>}.
// Usage: node smtp-sink.mjs [port]   (port 0 or absent: any free port)
import { SMTPServer } from 'smtp-server';

const port = Number(process.argv[2] ?? 0);
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      process.stdout.write(JSON.stringify({
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
        raw,
      }) + '\n');
      callback();
    });
  },
});
server.on('error', (err) => { process.stderr.write(`smtp-sink: ${err.message}\n`); process.exit(1); });
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.server.address().port }) + '\n');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
