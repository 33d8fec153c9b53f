// Follow the meeting (DESIGN §2b). The server pushes only {"version": V} over a WebSocket; when
// V is newer than what this screen shows, the screen fetches its own fragment over HTTP with its
// own session, so each agency sees only its share. If the socket drops, the page polls the
// version every few seconds and keeps trying to reconnect; on reconnect the server sends the
// current version at once, so a screen that was offline catches up.
(function () {
  "use strict";
  var root = document.querySelector("[data-follow]");
  if (!root) return;
  var statusLine = document.querySelector("[data-follow-status]");
  var POLL_MS = 3000, PING_MS = 20000, MAX_BACKOFF_MS = 15000;
  var socket = null, pollTimer = null, pingTimer = null, retryTimer = null;
  var backoff = 1000, fetching = false, again = false;

  function shown() {
    var panel = document.getElementById("follow-item");
    return panel ? parseInt(panel.getAttribute("data-version") || "0", 10) : 0;
  }

  function say(key) {
    if (statusLine) statusLine.textContent = root.getAttribute("data-" + key + "-text") || "";
    root.setAttribute("data-follow-state", key);
  }

  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(root.getAttribute("data-item-url"), {
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
      redirect: "follow",
    }).then(function (response) {
      if (response.redirected || response.status === 401 || response.status === 403) {
        window.location.reload(); // signed out or no longer allowed: the page says why
        return null;
      }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html === null || html === undefined) return;
      var panel = document.getElementById("follow-item");
      var template = document.createElement("template");
      template.innerHTML = html.trim();
      var fresh = template.content.querySelector("#follow-item");
      if (panel && fresh) {
        panel.replaceWith(fresh);
        root.setAttribute("data-updated-at", String(Date.now()));
      }
    }).catch(function () { /* offline: the next push or poll tries again */ })
      .finally(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
  }

  function seen(version) {
    if (typeof version === "number" && version > shown()) refresh();
  }

  function poll() {
    fetch(root.getAttribute("data-state-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected || response.status === 403) { window.location.reload(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (data) { if (data) seen(data.version); })
      .catch(function () {});
  }

  function startPolling() {
    if (!pollTimer) pollTimer = window.setInterval(poll, POLL_MS);
    say("polling");
  }

  function stopPolling() {
    if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
  }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-ws-path"));
    } catch (e) { startPolling(); scheduleReconnect(); return; }
    socket.onopen = function () {
      backoff = 1000;
      stopPolling();
      say("live");
      pingTimer = window.setInterval(function () {
        if (socket && socket.readyState === 1) socket.send(JSON.stringify({ ping: true }));
      }, PING_MS);
    };
    socket.onmessage = function (event) {
      try { seen(JSON.parse(event.data).version); } catch (e) { /* not ours */ }
    };
    socket.onclose = function (event) {
      if (pingTimer) { window.clearInterval(pingTimer); pingTimer = null; }
      socket = null;
      if (event.code === 4403) { window.location.reload(); return; } // session ended
      startPolling();
      poll();
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (retryTimer) return;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      connect();
    }, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll();
  });
  window.addEventListener("online", function () { poll(); if (!socket) connect(); });
  connect();
})();
