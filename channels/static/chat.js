// Rapport web chat: Rasa's socketio protocol (session_request/session_confirm,
// user_uttered/bot_uttered) plus rapport_error, rapport_turn_end (after the last reply to a
// message) and rapport_history (the recent conversation, sent before session_confirm when the
// page comes back). Bot text is untrusted: textContent only.
// The page waits for the gateway's /health to say the assistant is ready before it talks.
(function () {
  "use strict";

  var SESSION_KEY = "rapport.session_id";
  var INIT_PAYLOAD = "/greet";

  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var send = document.getElementById("send");
  var statusEl = document.getElementById("status");
  var typing = document.getElementById("typing");

  var sessionId = null;
  var greeted = false; // the init payload goes once per page load, like rasa-webchat's initPayload
  var typingTimer = null;
  var assistantReady = false;
  var READY_POLL_MS = 1000;

  function storedSession() {
    try { return window.localStorage.getItem(SESSION_KEY); } catch (e) { return null; }
  }

  function storeSession(id) {
    try { window.localStorage.setItem(SESSION_KEY, id); } catch (e) { /* private mode */ }
  }

  function scrollDown() { list.scrollTop = list.scrollHeight; }

  function addItem(className) {
    var li = document.createElement("li");
    li.className = className;
    list.appendChild(li);
    return li;
  }

  function addText(who, text) {
    addItem("msg msg--" + who).textContent = text;
    scrollDown();
  }

  function showHistory(messages) {
    // The server's transcript replaces what is on screen (a reconnect must not duplicate it).
    list.textContent = "";
    if (!Array.isArray(messages)) { return; }
    messages.forEach(function (m) {
      if (!m || typeof m.text !== "string") { return; }
      var who = m.from === "customer" ? "user" : m.from === "staff" ? "staff" : "bot";
      m.text.split("\n\n").forEach(function (part) { if (part) { addText(who, part); } });
    });
  }

  function safeImageUrl(src) {
    try {
      var url = new URL(src, window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) { return null; }
  }

  function setReady(ready, label) {
    input.disabled = !ready;
    send.disabled = !ready;
    statusEl.textContent = label;
  }

  function showTyping(on) {
    typing.hidden = !on;
    if (typingTimer) { clearTimeout(typingTimer); typingTimer = null; }
    if (on) { typingTimer = setTimeout(function () { typing.hidden = true; }, 15000); }
  }

  var socket = io({ path: "/socket.io" });

  function utter(text) {
    if (!sessionId) { return; }
    socket.emit("user_uttered", { message: text, session_id: sessionId, customData: {} });
    showTyping(true);
  }

  function addQuickReplies(replies) {
    var box = addItem("quick-replies");
    replies.forEach(function (reply) {
      if (!reply || typeof reply.title !== "string") { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = reply.title;
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(box.querySelectorAll("button"), function (b) {
          b.disabled = true;
        });
        addText("user", reply.title);
        utter(typeof reply.payload === "string" && reply.payload ? reply.payload : reply.title);
      });
      box.appendChild(button);
    });
    scrollDown();
  }

  function renderBot(message) {
    if (!message || typeof message !== "object") { return; }
    if (typeof message.text === "string" && message.text) { addText("bot", message.text); }
    var attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      var src = safeImageUrl(attachment.payload.src);
      if (src) {
        var img = document.createElement("img");
        img.src = src;
        img.alt = "";
        addItem("msg msg--bot").appendChild(img);
        scrollDown();
      }
    }
    if (Array.isArray(message.quick_replies) && message.quick_replies.length) {
      addQuickReplies(message.quick_replies);
    }
  }

  socket.on("connect", function () {
    setReady(false, "Connecting…");
    socket.emit("session_request", { session_id: storedSession() });
  });

  function whenAssistantReady(then) {
    // Until Rasa and the action server have loaded their models, a message would wait.
    if (assistantReady) { then(); return; }
    fetch("/health", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (h) { assistantReady = !!(h && h.ready); })
      .catch(function () { assistantReady = false; })
      .then(function () {
        if (assistantReady) { then(); return; }
        statusEl.textContent = "Starting…";
        setTimeout(function () { whenAssistantReady(then); }, READY_POLL_MS);
      });
  }

  socket.on("rapport_history", function (history) {
    showHistory(history && history.messages);
  });

  socket.on("session_confirm", function (confirmed) {
    // rasa-webchat accepts a string or {session_id}; we send a string.
    var id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
    if (typeof id !== "string") { return; }
    sessionId = id;
    storeSession(id);
    whenAssistantReady(function () {
      if (sessionId !== id) { return; }
      setReady(true, "Online");
      if (!greeted) {
        greeted = true;
        utter(INIT_PAYLOAD); // the bot welcomes once per visit, not once per page load
      }
      input.focus();
    });
  });

  // "typing" stays on while the bot has more to say: until rapport_turn_end, after its last reply.
  socket.on("bot_uttered", function (message) {
    renderBot(message);
  });

  socket.on("rapport_turn_end", function () {
    showTyping(false);
  });

  socket.on("rapport_error", function (error) {
    showTyping(false);
    var text = error && typeof error.message === "string" ? error.message : "Something went wrong.";
    addText("notice", text);
  });

  socket.on("disconnect", function () {
    showTyping(false);
    setReady(false, "Reconnecting…");
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !sessionId) { return; }
    addText("user", text);
    utter(text);
    input.value = "";
    input.style.height = "";
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  input.addEventListener("input", function () {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 128) + "px";
  });
})();
