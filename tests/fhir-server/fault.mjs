// fault.mjs — test-only loopback HTTP endpoint that misbehaves on purpose, for the fetch fault
// tests; plain node:http, no packages. Usage: node fault.mjs  (prints "listening <port>").
// The first path segment picks the fault; the rest is the FHIR path the client asked for:
//   /slow/...        answers after 30 s        /garbage/...     200 with text that is not JSON
//   /huge/...        200 with a 32 MiB body    /huge-bundle/... a searchset with 12000 entries
//   /redirect-loop/. 302 to itself            /paging-loop/... next links A -> B -> A
//   /paging-endless/ a new next link forever  /elsewhere/...   a next link to another host
//   /status/<n>/...  HTTP <n> (plain text)     /wrong-type/...  a Bundle for a read, a Patient
//                                                               for a search
//   GET /$seen       the paths requested so far (JSON array), to prove what was not fetched
import http from 'node:http';

const seen = [];
const timers = new Set();

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function bundle(entries, next) {
  const b = { resourceType: 'Bundle', type: 'searchset', entry: entries };
  if (next) b.link = [{ relation: 'next', url: next }];
  return b;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x/');
  if (url.pathname === '/$seen') return json(res, 200, seen);
  seen.push(req.url);
  const parts = url.pathname.split('/').filter(Boolean);
  const kind = parts[0];
  const rest = parts.slice(1);
  const isRead = rest.length >= 2 && kind !== 'status' || (kind === 'status' && rest.length >= 3);
  const origin = `http://127.0.0.1:${server.address().port}`;
  switch (kind) {
    case 'slow': {
      const t = setTimeout(() => { timers.delete(t); json(res, 200, bundle([])); }, 30000);
      timers.add(t);
      res.on('close', () => { clearTimeout(t); timers.delete(t); });
      return;
    }
    case 'garbage':
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end('<html><body>Service Unavailable</body></html>');
    case 'huge': {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      let left = 32;
      const pump = () => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => {});
      return pump();
    }
    case 'huge-bundle': {
      const entries = [];
      for (let i = 0; i < 12000; i++) entries.push({ resource: { resourceType: 'Condition', id: `c${i}` } });
      return json(res, 200, bundle(entries));
    }
    case 'redirect-loop':
      res.writeHead(302, { Location: req.url });
      return res.end();
    case 'paging-loop': {
      const page = url.searchParams.get('page') === 'b' ? 'a' : 'b';
      return json(res, 200, bundle([], `${origin}/paging-loop/${rest.join('/')}?page=${page}`));
    }
    case 'paging-endless': {
      const n = Number(url.searchParams.get('page') || 0) + 1;
      return json(res, 200, bundle([], `${origin}/paging-endless/${rest.join('/')}?page=${n}`));
    }
    case 'elsewhere':
      return json(res, 200, bundle([], `http://127.0.0.2:${server.address().port}/elsewhere/x?page=2`));
    case 'status': {
      const code = Number(rest[0]) || 500;
      res.writeHead(code, { 'Content-Type': 'text/plain' });
      return res.end(`status ${code}`);
    }
    case 'wrong-type':
      return isRead ? json(res, 200, bundle([])) : json(res, 200, { resourceType: 'Patient', id: 'p' });
    default:
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('no such fault');
  }
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
