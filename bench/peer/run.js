// The peer's side of bench/simulate.sh: reads the same JSON Lines requests as
// `pvaudit simulate --batch`, turns each line into an @cloud-copilot/iam-simulate
// Simulation, and times the peer's own in-process loop over them
// (runUnsafeSimulation, the entry point without input validation).
//
//   node bench/peer/run.js FILE [OUT]
//
// Prints one JSON object: lines, seconds (wall and CPU) for the loop over pre-built
// simulations (JSON.parse of the lines not counted, the figure most
// favourable to the peer; the first min(500, lines) simulations are run once
// before, to warm up the JIT), seconds when each line is also JSON.parse'd in
// the loop (with PEER_PARSE_LOOP=1 only, else null), and the decisions. OUT,
// when given, gets one decision per line.
'use strict';
const fs = require('fs');
const { runUnsafeSimulation, typeForContextKey, isConditionKeyArray } = require('@cloud-copilot/iam-simulate');

const [file, out] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/peer/run.js FILE [OUT]');
  process.exit(2);
}
const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

function accountOf(arn) {
  const parts = arn.split(':');
  return parts.length > 4 && parts[4] !== '' ? parts[4] : '111122223333';
}

// multi holds the context keys the peer types as lists (filled before the
// loops); pvaudit takes every context value as a list, the peer wants a
// string for a single-valued key.
const multi = new Set();
function contextFor(ctx) {
  const out = {};
  for (const [k, v] of Object.entries(ctx || {})) {
    out[k] = Array.isArray(v) && v.length === 1 && !multi.has(k.toLowerCase()) ? v[0] : v;
  }
  return out;
}

// toSimulation maps a pvaudit batch line to the peer's input.
function toSimulation(line) {
  const l = JSON.parse(line);
  const r = l.request;
  const resource = r.resource || '*';
  const levels = l.scp_levels || (l.scps ? [l.scps] : []);
  return {
    request: {
      principal: r.principal,
      action: r.action,
      resource: { resource, accountId: accountOf(resource === '*' ? r.principal : resource) },
      contextVariables: contextFor(r.context),
    },
    identityPolicies: (l.identity_policies || []).map((p, i) => ({ name: `identity_policies[${i}]`, policy: p })),
    serviceControlPolicies: levels.map((lvl, i) => ({
      orgIdentifier: `level-${i}`,
      policies: lvl.map((p, j) => ({ name: `scp_levels[${i}][${j}]`, policy: p })),
    })),
    resourceControlPolicies: [],
    permissionBoundaryPolicies: l.boundary ? [{ name: 'boundary', policy: l.boundary }] : undefined,
  };
}

async function main() {
  const keys = new Set();
  for (const line of lines) for (const k of Object.keys(JSON.parse(line).request.context || {})) keys.add(k);
  for (const k of keys) {
    try {
      if (isConditionKeyArray(await typeForContextKey(k))) multi.add(k.toLowerCase());
    } catch {
      // a key the peer does not know stays single-valued
    }
  }
  const sims = lines.map(toSimulation);
  for (let i = 0; i < Math.min(500, sims.length); i++) runUnsafeSimulation(sims[i], {});
  const results = new Array(sims.length);
  let t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < sims.length; i++) {
    results[i] = runUnsafeSimulation(sims[i], {});
  }
  const loopSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const loopCPUSeconds = (cpu.user + cpu.system) / 1e6;

  let parseLoopSeconds = null;
  if (process.env.PEER_PARSE_LOOP === '1') {
    t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i++) {
      runUnsafeSimulation(toSimulation(lines[i]), {});
    }
    parseLoopSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  }

  const decisions = {};
  for (const r of results) decisions[r] = (decisions[r] || 0) + 1;
  if (out) fs.writeFileSync(out, results.join('\n') + '\n');
  console.log(JSON.stringify({ lines: sims.length, loop_seconds: loopSeconds, loop_cpu_seconds: loopCPUSeconds, parse_loop_seconds: parseLoopSeconds, decisions }));
}

main();
