// Rasad playground: simulated users chatting with the real bot, side by side.
// Plain JavaScript, no build step. The page's own texts are here and in
// index.html (Persian, with English in title attributes); everything the bot
// says comes from the bot. The Go side answers data and error codes only.
'use strict';

const roleNames = {
  admin: 'کارشناس سامانه',
  manager: 'مدیر',
  liaison: 'رابط دستگاه',
  vendor: 'متقاضی غرفه',
  verifier: 'کارشناس راستی‌آزمایی',
  inspector: 'بازرس میدانی',
};

const errorTexts = {
  bad_request: 'درخواست نادرست بود.',
  bad_user: 'کاربر ساخته نشد.',
  no_user: 'این کاربر در صفحه نیست.',
  no_message: 'این پیام دیگر وجود ندارد.',
  no_button: 'این دکمه دیگر روی پیام نیست.',
  url_button: 'این دکمه یک پیوند است.',
  no_reply_button: 'این دکمه دیگر روی صفحه‌کلید نیست.',
  no_phone: 'برای این کاربر شماره همراهی تنظیم نشده است.',
  bad_location: 'موقعیت را با عرض و طول جغرافیایی بنویسید، مانند 35.6997, 51.3381.',
  no_answer: 'ربات به فشردن دکمه پاسخ نداد.',
  no_file: 'پرونده پیدا نشد.',
  too_large: 'پرونده بزرگ‌تر از حد مجاز است.',
  refused: 'فرستاده نشد.',
  too_long: 'این پیام از بیشترین اندازه یک پیام بلندتر است و فرستاده نشد. آن را کوتاه‌تر کنید یا در چند پیام بفرستید.',
  closed: 'سرور زمین بازی بسته شده است.',
  seed_failed: 'بارگذاری داده نمونه ناموفق بود.',
  seed_unavailable: 'داده نمونه در دسترس نیست.',
  forbidden_host: 'صفحه را با نشانی IP یا localhost باز کنید.',
  network: 'ارتباط با سرور برقرار نشد.',
};

const texts = {
  noRole: 'بدون نقش',
  edited: 'ویرایش‌شده',
  seeded: 'داده نمونه بارگذاری شد.',
  contact: 'شماره تماس',
  location: 'موقعیت',
  sticker: 'برچسب',
  voice: 'پیام صوتی',
  phoneSaved: 'شماره همراه ذخیره شد.',
  locationSaved: 'موقعیت ذخیره شد.',
  noCommands: 'فهرست فرمانی تنظیم نشده است.',
  emptyChat: ['هنوز پیامی نیست؛ ', ' را بفرستید.'],
  bytes: 'بایت',
  kb: 'کیلوبایت',
  mb: 'مگابایت',
};

const avatarColors = ['#e17076', '#7bc862', '#65aadd', '#a695e7', '#ee7aae', '#6ec9cb', '#faa774'];

const state = {
  users: [], // as /api/users lists them
  maxText: 0, // the longest message, in UTF-16 units (a string's length)
  chats: new Map(), // user id -> {rev, data, loading, again}
  cols: new Map(), // user id -> column parts
  hidden: new Set(loadHidden()),
};

class ApiError extends Error {
  constructor(code, detail) {
    super(detail || code);
    this.code = code;
    this.detail = detail || '';
  }
}

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body instanceof FormData) {
    opts.body = body;
  } else if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError('network', String(e));
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(data.error || 'network', data.detail || `${res.status} ${res.statusText}`);
  return data;
}

// el builds an element: el('div', {class: 'x', title: 't'}, child, 'text', ...).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c !== undefined && c !== null && c !== false) e.append(c);
  }
  return e;
}

function loadHidden() {
  try {
    return JSON.parse(localStorage.getItem('rasad.hidden') || '[]');
  } catch {
    return [];
  }
}

function saveHidden() {
  try {
    localStorage.setItem('rasad.hidden', JSON.stringify([...state.hidden]));
  } catch {
    // Private windows may refuse storage; hiding then lasts until reload.
  }
}

function faDigits(n) {
  return Number(n).toLocaleString('fa-IR', { useGrouping: false });
}

// parseLocation reads "latitude, longitude" as typed on either keyboard:
// Persian or Arabic digits, the Persian decimal separator and comma. The
// server checks the range.
function parseLocation(s) {
  const t = s
    .replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/٫/g, '.')
    .replace(/،/g, ',');
  const parts = t.split(/[,\s]+/).filter(Boolean);
  if (parts.length !== 2) return null;
  const [latitude, longitude] = parts.map(Number);
  return Number.isFinite(latitude) && Number.isFinite(longitude) ? { latitude, longitude } : null;
}

function formatLocation(l) {
  return `${l.latitude}, ${l.longitude}`;
}

function mapLink(l) {
  const { latitude: lat, longitude: lon } = l;
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`;
}

function fileSize(n) {
  const [v, unit] = n < 1024 ? [n, texts.bytes] : n < 1024 * 1024 ? [n / 1024, texts.kb] : [n / 1024 / 1024, texts.mb];
  return `${v.toLocaleString('fa-IR', { maximumFractionDigits: 1 })} ${unit}`;
}

// fileBadge is what the round file icon shows: the extension, which needs
// no emoji font.
function fileBadge(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 && name.length - dot <= 5 ? name.slice(dot + 1).toUpperCase() : '…';
}

// --- users and columns ---

let usersLoading = null;
let usersAgain = false;

// loadUsers fetches the list of users; calls during a fetch make it fetch
// once more after, so the last answer is never older than the last event.
function loadUsers() {
  if (usersLoading) {
    usersAgain = true;
    return usersLoading;
  }
  usersLoading = (async () => {
    do {
      usersAgain = false;
      try {
        const data = await api('GET', 'api/users');
        state.users = data.users;
        state.maxText = data.max_text;
        document.getElementById('bot-name').textContent = `@${data.bot.username}`;
        document.getElementById('seed').hidden = !data.can_seed;
        renderPeople();
        syncColumns();
      } catch (e) {
        pageToast(e);
        return;
      }
    } while (usersAgain);
  })().finally(() => {
    usersLoading = null;
  });
  return usersLoading;
}

function renderPeople() {
  const nav = document.getElementById('people');
  nav.replaceChildren(
    ...state.users.map((u) =>
      el(
        'button',
        {
          type: 'button',
          class: `chip${state.hidden.has(u.id) ? '' : ' on'}`,
          'data-user': u.id,
          title: `Telegram id ${u.id}: show or hide`,
          onclick: () => toggleUser(u.id),
        },
        u.name,
        ' ', // the name and the role are two words, read and copied apart
        el('small', {}, rolesLabel(u)),
      ),
    ),
  );
  document.getElementById('empty').hidden = state.users.length > 0;
}

function rolesLabel(u) {
  return u.roles.length ? u.roles.map((r) => roleNames[r] || r).join('، ') : texts.noRole;
}

function toggleUser(id) {
  if (state.hidden.has(id)) state.hidden.delete(id);
  else state.hidden.add(id);
  saveHidden();
  renderPeople();
  syncColumns();
}

// syncColumns makes one column per visible user, in the users' order,
// keeping existing columns (and what is typed in them) in place.
function syncColumns() {
  const main = document.getElementById('columns');
  const want = state.users.filter((u) => !state.hidden.has(u.id));
  for (const [id, col] of state.cols) {
    if (!want.some((u) => u.id === id)) {
      col.root.remove();
      state.cols.delete(id);
    }
  }
  let prev = null;
  for (const u of want) {
    let col = state.cols.get(u.id);
    if (!col) {
      col = makeColumn(u.id);
      state.cols.set(u.id, col);
    }
    const at = prev ? prev.nextSibling : main.firstChild;
    if (col.root !== at) main.insertBefore(col.root, at);
    prev = col.root;
    renderHead(col, u);
    const c = state.chats.get(u.id);
    if (c && c.data) renderChat(u.id);
    else loadChat(u.id);
  }
}

function makeColumn(id) {
  const root = document.getElementById('column-tpl').content.firstElementChild.cloneNode(true);
  root.dataset.user = id;
  const q = (s) => root.querySelector(s);
  const col = {
    root,
    id,
    avatar: q('.avatar'),
    name: q('.name'),
    uid: q('.uid'),
    roles: q('.roles'),
    phone: q('.phone'),
    location: q('.location'),
    commands: q('.commands'),
    messages: q('.messages'),
    toast: q('.toast'),
    kb: q('.kb'),
    composer: q('.composer'),
    input: q('.compose'),
    file: q('input[type=file]'),
    photo: q('.photo-btn'),
    lastId: 0,
    toastTimer: 0,
  };
  q('.hide-btn').addEventListener('click', () => toggleUser(id));
  q('.menu-btn').addEventListener('click', () => {
    col.commands.hidden = !col.commands.hidden;
    renderCommands(col);
  });
  col.phone.addEventListener('change', async () => {
    try {
      await api('POST', `api/users/${id}/phone`, { phone: col.phone.value });
      toast(col, texts.phoneSaved);
    } catch (e) {
      toastError(col, e);
    }
  });
  col.location.addEventListener('change', async () => {
    const loc = parseLocation(col.location.value);
    if (!loc) {
      toast(col, errorTexts.bad_location, 'error');
      return;
    }
    try {
      await api('POST', `api/users/${id}/location`, loc);
      toast(col, texts.locationSaved);
    } catch (e) {
      toastError(col, e);
    }
  });
  col.composer.addEventListener('submit', (ev) => {
    ev.preventDefault();
    sendText(col, col.input.value);
  });
  col.input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendText(col, col.input.value);
    }
  });
  col.file.addEventListener('change', () => upload(col));
  col.photo.addEventListener('click', () => sendPhoto(col));
  col.messages.addEventListener('click', (ev) => {
    const b = ev.target.closest('button.ib');
    if (b) press(col, Number(b.dataset.msg), b.dataset.data, b);
  });
  col.kb.addEventListener('click', (ev) => {
    const b = ev.target.closest('button.rb');
    if (b) tapReply(col, b.dataset.text);
  });
  col.toast.addEventListener('click', () => hideToast(col));
  return col;
}

function renderHead(col, u) {
  col.avatar.textContent = [...u.name][0] || '?';
  col.avatar.style.background = avatarColors[u.id % avatarColors.length];
  col.name.replaceChildren(u.name);
  if (u.full_name && u.full_name !== u.name) col.name.append(el('span', { class: 'full', title: 'Name in Rasad' }, ` · ${u.full_name}`));
  col.uid.textContent = u.id;
  col.roles.replaceChildren(
    ...(u.roles.length
      ? u.roles.map((r) => el('span', { class: 'role', 'data-role': r, title: r === 'liaison' && u.agency ? u.agency : r }, roleNames[r] || r))
      : [el('span', { class: 'role none' }, texts.noRole)]),
  );
  if (document.activeElement !== col.phone) col.phone.value = u.phone || '';
  if (document.activeElement !== col.location) col.location.value = u.location ? formatLocation(u.location) : '';
}

// --- one chat ---

function loadChat(id) {
  let c = state.chats.get(id);
  if (!c) {
    c = { rev: -1, data: null, loading: false, again: false };
    state.chats.set(id, c);
  }
  if (c.loading) {
    c.again = true;
    return;
  }
  c.loading = true;
  (async () => {
    try {
      do {
        c.again = false;
        const v = await api('GET', `api/users/${id}/chat`);
        c.rev = v.rev;
        c.data = v;
        renderChat(id);
      } while (c.again);
    } catch (e) {
      const col = state.cols.get(id);
      if (col) toastError(col, e);
    } finally {
      c.loading = false;
    }
  })();
}

function renderChat(id) {
  const col = state.cols.get(id);
  const c = state.chats.get(id);
  if (!col || !c || !c.data) return;
  const v = c.data;
  renderHead(col, v.user);
  const box = col.messages;
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const lastId = v.messages.length ? v.messages[v.messages.length - 1].id : 0;
  const stick = nearBottom || lastId !== col.lastId;
  col.lastId = lastId;
  if (v.messages.length) box.replaceChildren(...v.messages.map((m) => renderMessage(id, m, stick ? box : null)));
  else box.replaceChildren(el('div', { class: 'empty-chat', title: 'No messages yet: send /start' }, texts.emptyChat[0], el('bdi', { dir: 'ltr' }, '/start'), texts.emptyChat[1]));
  if (stick) box.scrollTop = box.scrollHeight;
  col.kb.replaceChildren(
    ...v.keyboard.map((row) =>
      el(
        'div',
        { class: 'row' },
        ...row.map((b) =>
          el(
            'button',
            {
              type: 'button',
              class: b.contact || b.location ? 'rb share' : 'rb',
              'data-text': b.text,
              title: b.contact
                ? "Shares this user's phone number"
                : b.location
                  ? "Shares where this user is (the location set in the column)"
                  : 'Sends this text',
            },
            b.text,
          ),
        ),
      ),
    ),
  );
  renderCommands(col);
}

function renderMessage(uid, m, stickTo) {
  const bubble = el('div', { class: 'bubble' });
  if (m.file && m.file.photo) {
    const img = el('img', { src: m.file.url, alt: m.file.name, width: m.file.width || undefined, height: m.file.height || undefined });
    // A photo that loads after the list was scrolled down pushes the
    // end out of view: scroll again once it has its size.
    if (stickTo) img.addEventListener('load', () => (stickTo.scrollTop = stickTo.scrollHeight));
    bubble.append(el('a', { class: 'photo', href: m.file.url, target: '_blank', title: 'Open the image' }, img));
  } else if (m.file) {
    bubble.append(
      el(
        'a',
        { class: 'doc', href: m.file.url, download: m.file.name, title: `Download (${m.file.mime})` },
        el('span', { class: 'ico', 'aria-hidden': 'true' }, fileBadge(m.file.name)),
        el('span', {}, el('span', { class: 'fname', dir: 'auto' }, m.file.name), el('br'), el('span', { class: 'fsize' }, fileSize(m.file.size))),
      ),
    );
  }
  if (m.kind === 'contact') {
    bubble.append(el('div', { class: 'contact' }, '📱 ', texts.contact, ': ', el('bdi', {}, m.phone)));
  } else if (m.kind === 'location' && m.location) {
    bubble.append(
      el(
        'a',
        { class: 'place', href: mapLink(m.location), target: '_blank', rel: 'noopener noreferrer', title: 'Open on the map' },
        '📍 ',
        texts.location,
        ': ',
        el('bdi', {}, formatLocation(m.location)),
      ),
    );
  } else if (m.kind === 'sticker' || m.kind === 'voice') {
    bubble.append(el('div', { class: 'text' }, `[${texts[m.kind]}]`));
  }
  if (m.text) bubble.append(el('div', { class: 'text', dir: 'auto' }, m.text));
  const time = new Date(m.date * 1000).toLocaleTimeString('fa-IR', { hour: '2-digit', minute: '2-digit' });
  bubble.append(el('span', { class: 'stamp' }, m.edited ? `${texts.edited} · ${time}` : time));

  const wrap = el('div', { class: `msg ${m.from_bot ? 'bot' : 'me'}`, 'data-id': m.id }, bubble);
  if (m.inline && m.inline.length) {
    wrap.append(
      el(
        'div',
        { class: 'ikb' },
        ...m.inline.map((row) =>
          el(
            'div',
            { class: 'row' },
            ...row.map((b) =>
              b.url
                ? el('a', { class: 'ib url', href: b.url, target: '_blank', rel: 'noopener noreferrer', title: b.url }, b.text)
                : el('button', { type: 'button', class: 'ib', 'data-msg': m.id, 'data-data': b.data, title: 'Inline button' }, b.text),
            ),
          ),
        ),
      ),
    );
  }
  return wrap;
}

function renderCommands(col) {
  if (col.commands.hidden) return;
  const c = state.chats.get(col.id);
  const cmds = (c && c.data && c.data.commands) || [];
  col.commands.replaceChildren(
    ...(cmds.length
      ? cmds.map((cmd) =>
          el(
            'button',
            {
              type: 'button',
              onclick: () => {
                col.commands.hidden = true;
                sendText(col, `/${cmd.command}`);
              },
            },
            el('code', {}, `/${cmd.command}`),
            el('span', {}, cmd.description),
          ),
        )
      : [el('div', { class: 'stamp' }, texts.noCommands)]),
  );
}

// --- acting as the user ---

async function sendText(col, text) {
  // Telegram clients trim what is sent, and send nothing for blanks.
  text = text.trim();
  if (state.maxText && text.length > state.maxText) {
    // Telegram's clients do not send it either; what was typed stays.
    toast(col, errorTexts.too_long, 'error');
    return;
  }
  col.input.value = '';
  if (!text) return;
  try {
    await api('POST', `api/users/${col.id}/text`, { text });
  } catch (e) {
    if (!col.input.value) col.input.value = text; // keep what was typed
    toastError(col, e);
  }
}

async function press(col, msg, data, button) {
  if (button.classList.contains('busy')) return;
  button.classList.add('busy');
  try {
    const r = await api('POST', `api/users/${col.id}/press`, { message: msg, data });
    if (r.answer.text) toast(col, r.answer.text, r.answer.alert ? 'alert' : '');
  } catch (e) {
    toastError(col, e);
  } finally {
    button.classList.remove('busy');
  }
}

async function tapReply(col, text) {
  try {
    await api('POST', `api/users/${col.id}/reply`, { text });
  } catch (e) {
    toastError(col, e);
  }
}

// sendPhoto sends a sample photo, as if taken with the phone's camera; what
// is typed goes with it as its caption, as in Telegram's attach dialog.
async function sendPhoto(col) {
  if (col.photo.classList.contains('busy')) return;
  const caption = col.input.value.trim();
  col.photo.classList.add('busy');
  col.input.value = '';
  try {
    await api('POST', `api/users/${col.id}/photo`, { caption });
  } catch (e) {
    if (!col.input.value) col.input.value = caption;
    toastError(col, e);
  } finally {
    col.photo.classList.remove('busy');
  }
}

async function upload(col) {
  const f = col.file.files[0];
  if (!f) return;
  const form = new FormData();
  form.append('file', f, f.name);
  col.file.value = '';
  try {
    await api('POST', `api/users/${col.id}/document`, form);
  } catch (e) {
    toastError(col, e);
  }
}

// --- toasts ---

function toast(col, text, kind, detail) {
  clearTimeout(col.toastTimer);
  col.toast.className = `toast${kind ? ' ' + kind : ''}`;
  col.toast.replaceChildren(el('div', { dir: 'auto' }, text), detail ? el('small', {}, detail) : '');
  col.toast.hidden = false;
  // Telegram shows an answer for a moment, an alert until dismissed; here
  // an alert stays longer and a click closes either.
  col.toastTimer = setTimeout(() => hideToast(col), kind === 'alert' || kind === 'error' ? 6000 : 2500);
}

function hideToast(col) {
  clearTimeout(col.toastTimer);
  col.toast.hidden = true;
}

// toastError says what went wrong in the page's language; the server's
// detail (English, for developers) only when the page has no sentence.
function toastError(col, e) {
  const text = errorTexts[e.code];
  toast(col, text || errorTexts.network, 'error', text ? '' : e.detail);
}

let pageToastCol = null;

function pageToast(eOrText, kind) {
  if (!pageToastCol) {
    const t = el('div', { class: 'toast', role: 'status', hidden: true, style: 'position: fixed; top: 64px;' });
    document.body.append(t);
    pageToastCol = { toast: t, toastTimer: 0 };
    t.addEventListener('click', () => hideToast(pageToastCol));
  }
  if (eOrText instanceof Error) toastError(pageToastCol, eOrText);
  else toast(pageToastCol, eOrText, kind);
}

// --- live updates ---

function connect() {
  const conn = document.getElementById('conn');
  const es = new EventSource('api/events');
  es.addEventListener('open', () => {
    conn.className = 'conn live';
    conn.title = 'Live connection to the bot: connected';
  });
  es.addEventListener('error', () => {
    // EventSource reconnects by itself; the dot says it is trying.
    conn.className = 'conn down';
    conn.title = 'Live connection to the bot: lost, reconnecting';
  });
  es.addEventListener('users', () => loadUsers());
  es.addEventListener('chat', (ev) => {
    const { user, rev } = JSON.parse(ev.data);
    if (state.hidden.has(user)) return;
    const c = state.chats.get(user);
    if (!c || c.rev !== rev) loadChat(user);
  });
}

function init() {
  document.getElementById('add-user').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    try {
      const u = await api('POST', 'api/users', { name: form.elements.namedItem('name').value });
      form.reset();
      state.hidden.delete(u.id);
      saveHidden();
      await loadUsers();
      const col = state.cols.get(u.id);
      if (col) {
        col.root.scrollIntoView({ behavior: 'smooth', inline: 'nearest' });
        col.input.focus();
      }
    } catch (e) {
      pageToast(e);
    }
  });
  const seed = document.getElementById('seed');
  seed.addEventListener('click', async () => {
    seed.disabled = true;
    try {
      await api('POST', 'api/seed');
      pageToast(texts.seeded);
      await loadUsers();
    } catch (e) {
      pageToast(e);
    } finally {
      seed.disabled = false;
    }
  });
  loadUsers();
  connect();
}

init();
