// Container healthcheck: GET /readyz on the given port. Speaks cleartext HTTP/2 (prior knowledge) when the
// service runs with HTTP2_CLEARTEXT=true (behind Caddy), since such a port refuses HTTP/1.1.
import { connect } from 'node:http2';

const port = Number(process.argv[2]);
const fail = () => process.exit(1);
setTimeout(fail, 5_000).unref();

if (process.env.HTTP2_CLEARTEXT === 'true') {
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', fail);
  session
    .request({ ':path': '/readyz' })
    .on('response', (headers) => process.exit(headers[':status'] === 200 ? 0 : 1))
    .on('error', fail)
    .end();
} else {
  fetch(`http://127.0.0.1:${port}/readyz`).then((response) => process.exit(response.ok ? 0 : 1), fail);
}
