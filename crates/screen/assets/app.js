// The kiosk screen's page: shows the state the device streams on /events and posts what
// the person does to /input. All text goes in with textContent, never as markup.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const PHASES = { idle: 'Ready', listening: 'Listening', thinking: 'Thinking', speaking: 'Speaking' };
  const KEPT_LATENCIES = 5000;

  // Render latencies, read by the browser tests and the latency bench: ms from the
  // event's post to the page's DOM holding it (domLatencies) and to the frame that shows
  // it (latencies).
  const metrics = { latencies: [], domLatencies: [], seq: -1, violations: [] };
  window.voxScreen = metrics;
  // Anything the policy blocked is a bug in the page; the browser tests read this.
  document.addEventListener('securitypolicyviolation', (e) => {
    metrics.violations.push(`${e.violatedDirective} ${e.blockedURI}`);
  });

  let shown = { seq: -1, conversation: -1, lastLine: -1, lastAgent: -1, digitsKey: '', choicesKey: '', active: false };
  let current = null;

  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  function renderPhase(phase) {
    $('status').dataset.phase = phase;
    $('phase-text').textContent = PHASES[phase] || PHASES.idle;
  }

  function renderTranscript(s) {
    const list = $('transcript');
    if (s.conversation !== shown.conversation) {
      list.replaceChildren();
      shown.lastLine = -1;
      shown.lastAgent = -1;
    }
    const first = s.transcript.length ? s.transcript[0].id : Infinity;
    while (list.firstChild && Number(list.firstChild.dataset.id) < first) list.firstChild.remove();
    let added = null;
    for (const line of s.transcript) {
      if (line.id <= shown.lastLine) continue;
      const item = el('li', line.speaker);
      item.dataset.id = String(line.id);
      item.append(el('span', 'who', line.speaker === 'agent' ? 'Agent: ' : 'You: '), el('span', 'text', line.text));
      list.append(item);
      shown.lastLine = line.id;
      added = item;
      if (line.speaker === 'agent' && line.id > shown.lastAgent) {
        shown.lastAgent = line.id;
        $('announcer').textContent = line.text;
      }
    }
    if (added) list.scrollTop = list.scrollHeight;
    $('conversation').hidden = s.transcript.length === 0;
  }

  function renderKeypad(s) {
    const ask = s.digits;
    $('keypad').hidden = !ask;
    if (!ask) { shown.digitsKey = ''; return; }
    const key = `${s.conversation}/${shown.lastAgent}/${ask.kind}/${ask.length}`;
    if (key === shown.digitsKey) return;
    shown.digitsKey = key;
    $('keypad-title').textContent = `Type your ${ask.label.toLowerCase()}`;
    $('digits-label').textContent = `${ask.label}, ${ask.length} digits`;
    const input = $('digits');
    input.value = '';
    input.maxLength = ask.length;
    input.removeAttribute('aria-invalid');
    $('keypad-hint').textContent = 'Use the keys below or a keyboard, then press Send.';
    input.focus();
  }

  function renderChoices(s) {
    const offer = s.choices;
    $('choices').hidden = !offer;
    if (!offer) { shown.choicesKey = ''; return; }
    const key = `${s.conversation}/${shown.lastAgent}/${offer.choices.map((c) => c.value).join('|')}`;
    if (key === shown.choicesKey) return;
    shown.choicesKey = key;
    $('choices-title').textContent = offer.prompt || 'Choose';
    const list = $('choice-list');
    list.replaceChildren(...offer.choices.map((c) => {
      const b = el('button', 'choice', c.label);
      b.type = 'button';
      b.dataset.value = c.value;
      return b;
    }));
    list.firstChild.focus();
  }

  function fact(dl, term, value) {
    if (!value) return;
    dl.append(el('dt', '', term), el('dd', '', value));
  }

  function renderOrder(s) {
    const o = s.order;
    $('order').hidden = !o;
    if (!o) {
      // A hidden card must not keep the last order in the page for anyone to inspect.
      for (const id of ['order-number', 'order-changed']) $(id).textContent = '';
      for (const id of ['order-facts', 'order-items', 'order-timeline']) $(id).replaceChildren();
      return;
    }
    $('order-number').textContent = o.order_number;
    const changed = $('order-changed');
    changed.hidden = !o.just_changed;
    changed.textContent = o.just_changed ? `Just changed: ${o.just_changed}` : '';
    const dl = $('order-facts');
    dl.replaceChildren();
    fact(dl, 'Status', o.status);
    fact(dl, 'Delivery', o.delivery_estimate);
    if (o.tracking) fact(dl, 'Tracking', `${o.tracking.carrier} ${o.tracking.number}`);
    if (o.ship_to) fact(dl, 'Ships to', `${o.ship_to.city} ${o.ship_to.zip}`);
    if (o.payment) fact(dl, 'Paid with', o.payment.last4 ? `${o.payment.method} ending in ${o.payment.last4}` : o.payment.method);
    if (o.phone) fact(dl, 'Phone', `ending in ${o.phone.slice(-2)}`);
    fact(dl, 'Email', o.email);
    fact(dl, 'Total', o.total);
    $('order-items').replaceChildren(...o.items.map((i) => {
      const row = el('tr');
      row.append(el('td', '', i.name), el('td', 'qty', String(i.quantity)));
      return row;
    }));
    $('order-timeline').replaceChildren(...o.timeline.map((step) => {
      const item = el('li', step.done ? 'done' : '');
      item.append(el('span', 'visually-hidden', step.done ? 'Done: ' : 'Not yet: '), el('span', 'label', step.label));
      if (step.when) item.append(el('span', 'when', ` — ${step.when}`));
      return item;
    }));
  }

  function keep(list, ms) {
    if (list.length >= KEPT_LATENCIES) list.shift();
    list.push(ms);
  }

  function render(s) {
    if (s.seq <= shown.seq) return;
    const focusWasInside = (id) => $(id).contains(document.activeElement);
    const hadFocus = ['keypad', 'choices'].filter(focusWasInside);
    current = s;
    renderPhase(s.phase);
    $('welcome').hidden = s.active;
    $('welcome-title').textContent = s.cleared === 'ended' ? 'Thank you, goodbye!' : 'Hello!';
    renderTranscript(s);
    renderKeypad(s);
    renderChoices(s);
    renderOrder(s);
    if (!s.active) { shown.conversation = -1; $('announcer').textContent = ''; }
    else shown.conversation = s.conversation;
    // Focus must not vanish with a panel that closed: it goes to the talk button, unless
    // a panel drawn in this same state (the choices after the keypad) has taken it.
    const a = document.activeElement;
    const lost = !a || a === document.body || a.closest('[hidden]');
    if (hadFocus.some((id) => $(id).hidden) && lost) $('talk').focus();
    shown.seq = s.seq;
    keep(metrics.domLatencies, performance.timeOrigin + performance.now() - s.posted_at_ms);
    // Two frames: the first runs before the paint that shows this state, the second after.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      keep(metrics.latencies, performance.timeOrigin + performance.now() - s.posted_at_ms);
      metrics.seq = s.seq;
    }));
  }

  let noticeTimer = 0;
  function notice(text) {
    const n = $('notice');
    n.textContent = text;
    n.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { n.hidden = true; }, 6000);
  }

  async function send(input) {
    try {
      const r = await fetch('/input', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(input),
        credentials: 'same-origin',
        cache: 'no-store',
      });
      // 409: the question changed meanwhile; the new state is already on its way.
      if (!r.ok && r.status !== 409) notice('That did not reach the device. Please try again.');
      return r.ok;
    } catch (_) {
      notice('The device is not answering. Please try again.');
      return false;
    }
  }

  function typeDigit(d) {
    const input = $('digits');
    if (input.value.length < input.maxLength) input.value += d;
    input.removeAttribute('aria-invalid');
  }

  function wire() {
    const input = $('digits');
    input.addEventListener('input', () => { input.value = input.value.replace(/\D/g, ''); });
    $('keypad-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const digits = input.value.replace(/\D/g, '');
      if (!digits) {
        input.setAttribute('aria-invalid', 'true');
        $('keypad-hint').textContent = 'Type the digits first.';
        input.focus();
        return;
      }
      if (await send({ type: 'keypad', digits })) {
        input.value = '';
        $('keypad-hint').textContent = 'Sent.';
      }
    });
    document.querySelector('.keys').addEventListener('click', (e) => {
      const key = e.target.closest('button[data-key]');
      if (!key) return;
      if (key.dataset.key === 'back') input.value = input.value.slice(0, -1);
      else typeDigit(key.dataset.key);
    });
    $('choice-list').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-value]');
      if (b) send({ type: 'choice', value: b.dataset.value });
    });
    $('talk').addEventListener('click', () => send({ type: 'start_talking' }));
    $('stop').addEventListener('click', () => send({ type: 'stop_speaking' }));
    // A physical keypad works wherever the focus is while digits are asked for.
    document.addEventListener('keydown', (e) => {
      if ($('keypad').hidden || e.target === input || e.ctrlKey || e.altKey || e.metaKey) return;
      if (/^[0-9]$/.test(e.key)) {
        e.preventDefault();
        typeDigit(e.key);
        input.focus();
      }
    });
  }

  function connect() {
    const es = new EventSource('/events');
    es.addEventListener('open', () => {
      // A restarted device counts from zero again.
      shown.seq = -1;
      $('connection').hidden = true;
    });
    es.addEventListener('state', (e) => render(JSON.parse(e.data)));
    es.addEventListener('error', () => {
      $('connection').hidden = false;
      // A refused stream is not retried by the browser itself.
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    });
  }

  wire();
  connect();
  window.voxScreen.current = () => current;
})();
