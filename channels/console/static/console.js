// The staff console. Everything a customer or an agent wrote is put on the page with
// textContent only, never as markup: customer text is untrusted.
"use strict";

const state = { csrf: null, me: null, current: null, queue: { waiting: [], active: [] }, socket: null };
const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    if (state.csrf) headers["X-CSRF-Token"] = state.csrf;
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (_) { data = {}; }
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.status = response.status;
    error.code = data.code;
    throw error;
  }
  return data;
}

function duration(seconds) {
  if (seconds < 60) return `${Math.max(0, Math.floor(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function since(iso) {
  return iso ? (Date.now() - Date.parse(iso)) / 1000 : 0;
}

// --- login ---------------------------------------------------------------------------

async function start() {
  try {
    const me = await api("GET", "/console/api/me");
    loggedIn(me);
  } catch (error) {
    $("login").hidden = false;
  }
}

function loggedIn(me) {
  state.me = me;
  state.csrf = me.csrf;
  $("who").textContent = `${me.first_name} (${me.username})`;
  $("login").hidden = true;
  $("app").hidden = false;
  connect();
  refreshQueue();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    const me = await api("POST", "/console/api/login", {
      username: $("username").value,
      password: $("password").value,
    });
    $("password").value = "";
    loggedIn(me);
  } catch (error) {
    $("login-error").textContent = error.message;
  }
});

$("logout").addEventListener("click", async () => {
  try { await api("POST", "/console/api/logout"); } finally { location.reload(); }
});

// --- live events -----------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/console/ws`);
  state.socket = socket;
  socket.addEventListener("open", () => { $("live").textContent = "live"; });
  socket.addEventListener("close", () => {
    $("live").textContent = "offline";
    if (state.me) setTimeout(connect, 2000);
  });
  socket.addEventListener("message", (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch (_) { return; }
    onEvent(event);
  });
}

function onEvent(event) {
  const isCurrent = state.current && event.customer_id === state.current.customer_id;
  if (event.type === "message") {
    if (isCurrent) addLine(event);
    refreshQueue();
  } else if (event.type === "status") {
    refreshQueue();
    if (isCurrent) openConversation(event.customer_id);
  } else if (event.type === "profile" && isCurrent) {
    openConversation(event.customer_id);
  } else if (event.type === "erased") {
    if (isCurrent) closeConversation();
    refreshQueue();
    if (!$("audit-panel").hidden) refreshAudit();
  }
}

// --- queue -------------------------------------------------------------------------------

async function refreshQueue() {
  try {
    state.queue = await api("GET", "/console/api/queue");
  } catch (error) {
    if (error.status === 401) location.reload();
    return;
  }
  renderQueue();
}

function label(row) {
  return row.name || `customer ${row.customer_id.slice(0, 8)}`;
}

function renderQueue() {
  const { waiting, active } = state.queue;
  $("waiting-count").textContent = String(waiting.length);
  const fill = (list, rows, describe) => {
    list.replaceChildren(
      ...rows.map((row) => {
        const item = el("li");
        const button = el("button", null, "queue-item");
        button.type = "button";
        button.dataset.customerId = row.customer_id;
        if (state.current && state.current.customer_id === row.customer_id) button.classList.add("current");
        button.append(el("strong", label(row)), el("br"), el("span", describe(row)));
        button.addEventListener("click", () => openConversation(row.customer_id));
        item.append(button);
        return item;
      }),
    );
  };
  fill($("waiting"), waiting, (row) => `${row.channel || "?"} · waiting ${duration(since(row.waiting_since))}`);
  fill($("active"), active, (row) => `${row.channel || "?"} · ${row.status}${row.agent ? ` (${row.agent})` : ""}`);
}

setInterval(() => { if (state.me) renderQueue(); }, 10000);

// --- one conversation ----------------------------------------------------------------

function addLine(line) {
  const who = line.from === "customer" ? "Customer" : line.from === "agent" ? (line.agent || "Staff") : "Bot";
  const item = el("li", null, line.from);
  item.append(el("span", who, "who"), el("span", line.text, "text"));
  const transcript = $("transcript");
  transcript.append(item);
  transcript.scrollTop = transcript.scrollHeight;
}

async function openConversation(customerId) {
  let data;
  try {
    data = await api("GET", `/console/api/conversations/${encodeURIComponent(customerId)}`);
  } catch (error) {
    $("action-error").textContent = error.message;
    return;
  }
  state.current = data;
  $("audit-panel").hidden = true;
  $("conversation").hidden = false;
  $("profile-panel").hidden = false;
  $("action-error").textContent = data.transcript_error || "";
  $("conversation-title").textContent = data.profile.customer.name || `customer ${customerId.slice(0, 8)}`;
  $("status").textContent = data.status;
  $("agent").textContent = data.agent ? `with ${data.agent}` : "";
  $("channel").textContent = data.channel || "?";
  $("take").disabled = data.status === "agent";
  $("hand-back").disabled = !(data.status === "agent" && data.mine) && data.status !== "waiting";
  $("close").disabled = !(data.status === "agent" && data.mine) && data.status !== "waiting";
  $("reply-send").disabled = !(data.status === "agent" && data.mine);
  $("transcript").replaceChildren();
  data.transcript.forEach(addLine);
  renderProfile(data);
  renderQueue();
}

function renderProfile(data) {
  const profile = data.profile;
  const summary = $("profile-summary");
  summary.replaceChildren(
    el("dt", "Name"), el("dd", profile.customer.name || "unknown"),
    el("dt", "Customer since"), el("dd", new Date(profile.customer.created_at).toLocaleDateString()),
    el("dt", "Channels"), el("dd", profile.identities.map((i) => i.channel).join(", ")),
  );
  $("preferences").replaceChildren(
    ...profile.preferences.map((p) => {
      const item = el("li");
      item.append(
        el("strong", `${p.polarity} ${p.subject}`),
        el("span", p.reason ? ` (${p.reason})` : ""),
        el("span", p.who ? ` · about their ${p.who}` : ""),
        el("span", p.until ? ` · until ${new Date(p.until).toLocaleDateString(undefined, { timeZone: "UTC" })}` : ""),
        el("br"),
        el("q", p.stated),
      );
      if (p.channel === "staff") item.append(el("span", " · entered by staff", "staff-entered"));
      item.addEventListener("click", () => {
        $("fact-subject").value = p.subject;
        $("fact-polarity").value = p.polarity;
        $("fact-reason").value = p.reason || "";
      });
      return item;
    }),
  );
  $("habits").replaceChildren(...profile.habits.map((h) => el("li", `${h.what}${h.when ? `, ${h.when}` : ""}`)));
  renderIdentities(profile);
  $("log").replaceChildren(
    ...data.log.map((e) => el("li", `${new Date(e.at).toLocaleString()} · ${e.by} · ${e.action}${e.to ? ` → ${e.to}` : ""}`)),
  );
}

// Staff can detach an identity, never attach one: linking takes the code sent to the address.
function renderIdentities(profile) {
  const several = profile.identities.length > 1;
  $("identities").replaceChildren(
    ...profile.identities.map((i) => {
      const item = el("li");
      item.dataset.channel = i.channel;
      item.dataset.address = i.address;
      item.append(
        el("strong", i.channel),
        el("span", i.address, "address"),
        i.verified ? el("span", "verified", "verified") : el("span", "not verified", "unverified"),
      );
      if (several) {
        const button = el("button", "Unlink", "unlink");
        button.type = "button";
        button.addEventListener("click", () => {
          const question = `Detach ${i.channel} ${i.address} from this customer? `
            + "It becomes a customer of its own; the facts stay here. Only the customer can link it again.";
          if (window.confirm(question)) act("unlink", { channel: i.channel, address: i.address });
        });
        item.append(button);
      }
      return item;
    }),
  );
  $("links").replaceChildren(
    ...(profile.links || []).map((e) => el("li", `${new Date(e.at).toLocaleString()} · ${e.by} · ${e.action} ${e.channel} ${e.address}`)),
  );
}

async function act(path, body) {
  if (!state.current) return;
  $("action-error").textContent = "";
  const id = state.current.customer_id;
  try {
    await api("POST", `/console/api/conversations/${encodeURIComponent(id)}/${path}`, body);
  } catch (error) {
    $("action-error").textContent = error.message;
  }
  await openConversation(id);
}

function closeConversation() {
  state.current = null;
  $("conversation").hidden = true;
  $("profile-panel").hidden = true;
  renderQueue();
}

// Erasure cannot be undone: the server also wants the customer's id repeated in the body.
$("erase").addEventListener("click", async () => {
  if (!state.current) return;
  const id = state.current.customer_id;
  const name = state.current.profile.customer.name || `customer ${id.slice(0, 8)}`;
  const question = `Erase ${name} and everything stored about them, transcripts included? `
    + "This cannot be undone.";
  if (!window.confirm(question)) return;
  $("action-error").textContent = "";
  try {
    await api("POST", `/console/api/conversations/${encodeURIComponent(id)}/erase`, { confirm: id });
  } catch (error) {
    $("action-error").textContent = error.message;
    return;
  }
  closeConversation();
  refreshQueue();
});

$("take").addEventListener("click", () => act("take"));
$("hand-back").addEventListener("click", () => act("hand_back"));
$("close").addEventListener("click", () => act("close"));

$("reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("reply-text").value.trim();
  if (!text) return;
  $("reply-text").value = "";
  await act("reply", { text });
});

$("fact-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await act("facts", {
    subject: $("fact-subject").value,
    polarity: $("fact-polarity").value,
    reason: $("fact-reason").value,
    stated: $("fact-stated").value,
  });
  $("fact-form").reset();
});

// --- audit ---------------------------------------------------------------------------------

function auditCustomer(line) {
  if (line.customer_hash) return `erased customer (hash ${line.customer_hash.slice(0, 12)}…)`;
  const short = line.customer_id ? line.customer_id.slice(0, 8) : "?";
  return line.customer_name ? `${line.customer_name} (${short})` : `customer ${short}`;
}

async function refreshAudit() {
  $("audit-error").textContent = "";
  let data;
  try {
    data = await api("GET", "/console/api/audit");
  } catch (error) {
    if (error.status === 401) location.reload();
    $("audit-error").textContent = error.message;
    return;
  }
  $("audit-lines").replaceChildren(
    ...data.lines.map((line) => {
      const row = el("tr");
      row.append(
        el("td", new Date(line.at).toLocaleString()),
        el("td", line.by),
        el("td", line.action.replace("_", " ")),
        el("td", auditCustomer(line)),
      );
      return row;
    }),
  );
}

$("show-audit").addEventListener("click", () => {
  closeConversation();
  $("audit-panel").hidden = false;
  refreshAudit();
});
$("audit-refresh").addEventListener("click", refreshAudit);

start();
