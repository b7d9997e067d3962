// charstream console: plain JavaScript, no build step, no library. The server pushes its state as
// Server-Sent Events (/api/events): a snapshot, then job / model / corpus / served events. Every
// value from the server reaches the page through textContent or an SVG attribute, never as HTML.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const state = { jobs: new Map(), models: new Map(), corpora: new Map(), served: {}, servedBy: '' };
let submittedJob = null; // the job id the training form submitted last

const $ = (id) => document.getElementById(id);

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const fmt = {
  loss: (v) => (typeof v === 'number' ? v.toFixed(4) : '–'),
  int: (v) => (typeof v === 'number' ? Math.round(v).toLocaleString('en') : '–'),
  eta(s) {
    if (typeof s !== 'number' || !isFinite(s)) return '–';
    s = Math.round(s);
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  },
  bytes: (b) => (b >= 1048576 ? (b / 1048576).toFixed(1) + ' MB' : Math.round(b / 1024) + ' KB'),
  time: (ms) => new Date(ms).toLocaleString(),
};

// ---------------------------------------------------------------- connection

async function start() {
  const probe = await fetch('/api/state', { cache: 'no-store' });
  if (probe.status === 401) {
    $('login').hidden = false;
    $('main').hidden = true;
    setConn('error', 'token required');
    return;
  }
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => setConn('live', 'live'));
  events.addEventListener('error', () => setConn('error', 'reconnecting…'));
  events.addEventListener('snapshot', (e) => applySnapshot(JSON.parse(e.data)));
  events.addEventListener('job', (e) => applyJob(JSON.parse(e.data)));
  events.addEventListener('model', (e) => {
    const m = JSON.parse(e.data).model;
    state.models.set(m.modelId, m);
    renderModels();
  });
  events.addEventListener('corpus', (e) => {
    const c = JSON.parse(e.data).corpus;
    if (c.deleted) state.corpora.delete(c.corpusId);
    else state.corpora.set(c.corpusId, c);
    renderCorpora();
  });
  events.addEventListener('served', (e) => {
    state.served = JSON.parse(e.data).served;
    renderModels();
  });
  events.addEventListener('caughtUp', () => setConn('live', 'live'));
  events.addEventListener('stopped', (e) => stale(JSON.parse(e.data).reason));
}

function setConn(kind, text) {
  $('conn').dataset.state = kind;
  $('conn').textContent = text;
}

function applySnapshot(s) {
  state.jobs.clear();
  for (const j of s.jobs) state.jobs.set(j.jobId, { job: j, train: j.train, val: j.val });
  state.models = new Map(s.models.map((m) => [m.modelId, m]));
  state.corpora = new Map(s.corpora.map((c) => [c.corpusId, c]));
  state.served = s.served;
  state.servedBy = s.servedBy;
  $('jobs').replaceChildren();
  const newestFirst = [...state.jobs.values()].sort((a, b) => b.job.updatedAtMs - a.job.updatedAtMs);
  for (const j of newestFirst) renderJob(j);
  showEmptyJobs();
  renderModels();
  renderCorpora();
  setConn('live', s.caughtUp ? 'live' : 'live (reading history…)');
  if (s.stopped) stale(s.stopped);
}

function stale(reason) {
  setConn('error', `not following the topics any more (${reason}): restart the console`);
}

function applyJob(e) {
  let j = state.jobs.get(e.job.jobId);
  if (!j) {
    j = { job: e.job, train: [], val: [] };
    state.jobs.set(e.job.jobId, j);
  }
  j.job = e.job;
  j.train.push(...e.train);
  for (const p of e.val) {
    j.val = j.val.filter((q) => q[0] !== p[0]);
    j.val.push(p);
    j.val.sort((a, b) => a[0] - b[0]);
  }
  renderJob(j, true);
  showEmptyJobs();
  if (submittedJob === e.job.jobId) trainStatusOf(e.job);
}

function showEmptyJobs() {
  if (state.jobs.size === 0) $('jobs').replaceChildren(el('p', { class: 'empty' }, 'No training jobs yet.'));
  else $('jobs').querySelectorAll('p.empty').forEach((p) => p.remove());
}

// ---------------------------------------------------------------- jobs and curves

function jobCard(jobId) {
  for (const c of $('jobs').children) if (c.dataset && c.dataset.jobId === jobId) return c;
  return null;
}

function renderJob(j, toTop) {
  const job = j.job;
  let card = jobCard(job.jobId);
  if (!card) {
    card = el('article', { class: 'job' });
    card.dataset.jobId = job.jobId;
    const h = el('h3');
    h.append(el('span', { class: 'name' }), el('span', { class: 'badge' }));
    card.append(h, el('div', { class: 'stats' }), el('div', { class: 'reason' }));
    card.append(svg('svg', { class: 'curve', viewBox: '0 0 520 220', role: 'img' }));
    if (toTop) $('jobs').prepend(card);
    else $('jobs').append(card);
  }
  card.dataset.state = job.state;
  card.querySelector('.name').textContent = `${job.jobId} · model ${job.modelId || '?'}`;
  const badge = card.querySelector('.badge');
  badge.dataset.state = job.state;
  badge.textContent = job.state;
  const parts = [];
  if (job.corpusId) parts.push(`corpus ${job.corpusId}`);
  if (job.epoch) parts.push(`epoch ${job.epoch}/${job.numEpochs}, step ${job.step}/${job.stepsPerEpoch}`);
  else if (job.numEpochs) parts.push(`${job.numEpochs} epochs`);
  if (job.loss !== undefined) parts.push(`loss ${fmt.loss(job.loss)}`);
  if (job.valLoss !== undefined) parts.push(`held-out ${fmt.loss(job.valLoss)}`);
  if (job.state === 'progress' || job.state === 'checkpoint') {
    if (job.charsPerSecond) parts.push(`${fmt.int(job.charsPerSecond)} chars/s`);
    if (job.etaSeconds !== undefined) parts.push(`ETA ${fmt.eta(job.etaSeconds)}`);
  } else if (job.elapsedSeconds !== undefined) {
    parts.push(`${fmt.eta(job.elapsedSeconds)} elapsed`);
  }
  if (job.version) parts.push(`checkpoint v${job.version}`);
  card.querySelector('.stats').textContent = parts.join(' · ');
  card.querySelector('.reason').textContent = job.reason || '';
  drawCurve(card.querySelector('svg.curve'), j.train, j.val, job.numEpochs || 1);
}

// A line chart in plain SVG: x = epochs (fractional), y = loss (nats per character).
function drawCurve(root, train, val, numEpochs) {
  const W = 520, H = 220, L = 46, R = 12, T = 22, B = 30;
  root.replaceChildren();
  const all = train.concat(val);
  const xMax = Math.max(numEpochs, ...all.map((p) => p[0]), 1e-9);
  let yMin = Math.min(...all.map((p) => p[1]));
  let yMax = Math.max(...all.map((p) => p[1]));
  if (!all.length) { yMin = 0; yMax = 1; }
  if (yMax - yMin < 1e-6) { yMin -= 0.5; yMax += 0.5; }
  const pad = (yMax - yMin) * 0.08;
  yMin = yMin >= 0 ? Math.max(0, yMin - pad) : yMin - pad; // a loss is never below 0
  yMax += pad;
  const sx = (x) => L + (x / xMax) * (W - L - R);
  const sy = (y) => T + (1 - (y - yMin) / (yMax - yMin)) * (H - T - B);

  for (let i = 0; i <= 4; i++) {
    const y = yMin + ((yMax - yMin) * i) / 4;
    root.append(svg('line', { class: 'grid', x1: L, x2: W - R, y1: sy(y), y2: sy(y) }));
    root.append(svg('text', { x: L - 6, y: sy(y) + 4, 'text-anchor': 'end' }, y.toFixed(2)));
  }
  const step = Math.max(1, Math.ceil(xMax / 10));
  for (let x = 0; x <= xMax + 1e-9; x += step) {
    root.append(svg('line', { class: 'axis', x1: sx(x), x2: sx(x), y1: H - B, y2: H - B + 4 }));
    root.append(svg('text', { x: sx(x), y: H - B + 16, 'text-anchor': 'middle' }, String(x)));
  }
  root.append(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  root.append(svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
  root.append(svg('text', { x: W - R, y: H - 2, 'text-anchor': 'end' }, 'epoch'));

  const pts = (ps) => ps.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
  root.append(svg('polyline', { class: 'train', points: pts(train), 'data-points': train.length }));
  root.append(svg('polyline', { class: 'val', points: pts(val), 'data-points': val.length }));
  for (const p of val) root.append(svg('circle', { class: 'val', cx: sx(p[0]), cy: sy(p[1]), r: 3 }));

  root.append(svg('rect', { class: 'legend-train', x: L + 8, y: 6, width: 12, height: 4 }));
  root.append(svg('text', { x: L + 24, y: 12 }, `training loss (${train.length} points)`));
  root.append(svg('rect', { class: 'legend-val', x: L + 210, y: 6, width: 12, height: 4 }));
  root.append(svg('text', { x: L + 226, y: 12 }, `held-out loss (${val.length})`));
}

// ---------------------------------------------------------------- models

function renderModels() {
  $('served-by').textContent = Object.keys(state.served).length
    ? Object.entries(state.served).map(([m, v]) => `${m}@${v}`).join(', ') + ` (${state.servedBy})`
    : `nothing seen yet (${state.servedBy || 'no answers'})`;
  const body = $('models').tBodies[0];
  body.replaceChildren();
  const select = $('prompt-model');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '' }, "generators' default"));
  if (state.models.size === 0) {
    const tr = el('tr', { class: 'empty' });
    tr.append(el('td', { colspan: 10 }, 'No checkpoints yet.'));
    body.append(tr);
  }
  for (const m of state.models.values()) {
    select.append(el('option', { value: m.modelId }, `${m.modelId} (latest: v${m.latestVersion})`));
    for (const v of m.versions.slice(0, 10)) {
      const tr = el('tr');
      if (state.served[m.modelId] === v.version) tr.className = 'served';
      const spec = v.model;
      const t = v.training;
      tr.append(
        el('td', {}, m.modelId),
        el('td', { class: 'num' }, `v${v.version}${v.last ? ' (final)' : ''}`),
        el('td', { class: 'num' }, String(v.epoch)),
        el('td', { class: 'num' }, fmt.loss(v.metrics.trainLoss)),
        el('td', { class: 'num' }, fmt.loss(v.metrics.valLoss)),
        el('td', {}, `${spec.numLayers} x LSTM ${spec.rnnSize}, emb ${spec.embeddingSize}, ${fmt.int(spec.parameterCount)} params`),
        el('td', {}, `${t.preset || 'reference'}: batch ${t.batchSize}, seq ${t.seqLen}, lr ${t.learningRate} ${t.lrSchedule || ''}, ${t.numEpochs} epochs`),
        el('td', {}, v.corpusId),
        el('td', { class: 'num' }, fmt.bytes(v.sizeBytes)),
        el('td', {}, fmt.time(v.createdAtMs)),
      );
      body.append(tr);
      select.append(el('option', { value: v.name }, `  ${v.name}`));
    }
  }
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

function renderCorpora() {
  const select = $('train-corpus');
  const chosen = select.value;
  select.replaceChildren();
  const ready = [...state.corpora.values()].filter((c) => c.ready);
  if (!ready.length) select.append(el('option', { value: '' }, '(no corpus uploaded yet)'));
  for (const c of ready) select.append(el('option', { value: c.corpusId }, `${c.corpusId} (${fmt.int(c.chars)} chars)`));
  if (ready.some((c) => c.corpusId === chosen)) select.value = chosen;
}

// ---------------------------------------------------------------- playground

async function sendPrompt(ev) {
  ev.preventDefault();
  const answer = $('answer');
  const text = $('answer-text');
  const info = $('prompt-info');
  const body = { prompt: $('prompt').value, max_tokens: intOf('prompt-length'), stream: true };
  const model = $('prompt-model').value;
  if (model) body.model = model;
  const temperature = numOf('prompt-temperature');
  if (temperature !== null) body.temperature = temperature;
  const topN = intOf('prompt-topn');
  if (topN !== null) body.top_k = topN;
  const seed = intOf('prompt-seed');
  if (seed !== null) body.seed = seed;
  const stop = $('prompt-stop').value.split(',').map((s) => s.trim().replaceAll('\\n', '\n')).filter((s) => s);
  if (stop.length) body.stop = stop;

  $('answer-prompt').textContent = body.prompt;
  text.textContent = '';
  answer.dataset.state = 'waiting';
  answer.dataset.chunks = '0';
  info.textContent = 'waiting for a generator…';
  $('prompt-send').disabled = true;
  const t0 = performance.now();
  try {
    const res = await fetch('/v1/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) {
      const err = await res.json().catch(() => ({ error: { message: res.statusText } }));
      throw new Error(`${res.status} ${err.error.code || ''}: ${err.error.message}`);
    }
    answer.dataset.state = 'streaming';
    let last = null;
    await readEvents(res, (data) => {
      if (data.error) throw new Error(`${data.error.code}: ${data.error.message}`);
      last = data;
      text.textContent += data.choices[0].text;
      answer.dataset.chunks = String(Number(answer.dataset.chunks) + 1);
      answer.scrollTop = answer.scrollHeight;
    });
    const choice = last.choices[0];
    answer.dataset.state = 'done';
    info.textContent = `${last.model} · finish: ${choice.finish_reason} · ${[...text.textContent].length} chars` +
      ` in ${Math.round(performance.now() - t0)} ms · ${answer.dataset.chunks} events`;
  } catch (e) {
    answer.dataset.state = 'error';
    text.textContent += (text.textContent ? '\n' : '') + e.message;
    info.textContent = 'failed';
  } finally {
    $('prompt-send').disabled = false;
  }
}

// Reads an SSE body ("data: {...}" lines, blank line between events) until "data: [DONE]".
async function readEvents(res, onData) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended before [DONE]');
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const payload = line.slice(6);
        if (payload === '[DONE]') return;
        onData(JSON.parse(payload));
      }
    }
  }
}

function intOf(id) {
  const v = $(id).value.trim();
  return v === '' ? null : parseInt(v, 10);
}

function numOf(id) {
  const v = $(id).value.trim();
  return v === '' ? null : parseFloat(v);
}

// ---------------------------------------------------------------- training form

async function submitTraining(ev) {
  ev.preventDefault();
  const status = $('train-status');
  let request;
  try {
    const extra = $('train-extra').value.trim();
    request = extra ? JSON.parse(extra) : {};
    if (typeof request !== 'object' || Array.isArray(request)) throw new Error('not a JSON object');
  } catch (e) {
    status.dataset.state = 'error';
    status.textContent = `More request fields: ${e.message}`;
    return;
  }
  Object.assign(request, {
    modelId: $('train-model').value.trim(),
    corpusId: $('train-corpus').value,
    preset: $('train-preset').value,
    numEpochs: intOf('train-epochs'),
  });
  $('train-send').disabled = true;
  try {
    const res = await fetch('/api/training', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error.message);
    submittedJob = body.jobId;
    status.dataset.state = 'submitted';
    status.textContent = `Submitted job ${body.jobId} to ${body.topic}; waiting for a trainer…`;
    const known = state.jobs.get(body.jobId);
    if (known) trainStatusOf(known.job);
  } catch (e) {
    status.dataset.state = 'error';
    status.textContent = e.message;
  } finally {
    $('train-send').disabled = false;
  }
}

function trainStatusOf(job) {
  const status = $('train-status');
  if (job.state === 'rejected') {
    status.dataset.state = 'rejected';
    status.textContent = `Job ${job.jobId} rejected: ${job.reason}`;
  } else if (status.dataset.state === 'submitted' || status.dataset.state === 'accepted') {
    status.dataset.state = 'accepted';
    status.textContent = `Job ${job.jobId} accepted by ${job.workerId || 'a trainer'}: ${job.state}`;
  }
}

// ---------------------------------------------------------------- wiring

function login(ev) {
  ev.preventDefault();
  const token = encodeURIComponent($('login-token').value);
  document.cookie = `charstream_token=${token}; path=/; SameSite=Strict`;
  location.reload();
}

document.addEventListener('DOMContentLoaded', () => {
  $('prompt-form').addEventListener('submit', sendPrompt);
  $('train-form').addEventListener('submit', submitTraining);
  $('login-form').addEventListener('submit', login);
  start().catch((e) => setConn('error', `cannot reach the console: ${e.message}`));
});
