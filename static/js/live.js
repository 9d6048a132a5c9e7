// Live updates over one websocket (protocol: docs/api.md, "Live updates"). Every page works
// without this file; with it, a thread page shows new posts, edits, hides and accepted answers,
// the bell counts new notifications, and the review queue follows other moderators.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="live-after"]');
  if (!meta || !window.WebSocket) return;

  var lastId = parseInt(meta.getAttribute("content"), 10);
  if (isNaN(lastId)) lastId = null;
  var streams = [];
  // The page says which thread it shows: an error page at a thread's address (404) subscribes to
  // nothing, so it shows no "no longer available" notice and the bell keeps working.
  var threadPage = document.querySelector("[data-live-thread]");
  if (threadPage) streams.push("thread:" + threadPage.getAttribute("data-live-thread"));
  var onQueue = location.pathname === "/moderation/queue";
  if (onQueue) streams.push("queue");

  var socket = null;
  var attempt = 0;
  var stopped = false;
  var heartbeat = 25;
  var pingTimer = null;
  var lastHeard = Date.now();
  var reconnectTimer = null;

  function connect() {
    reconnectTimer = null;
    if (stopped) return;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    try {
      socket = new WebSocket(url);
    } catch (err) {
      scheduleReconnect();
      return;
    }
    socket.onopen = function () {
      lastHeard = Date.now();
      send({ type: "hello", after: lastId, streams: streams });
    };
    socket.onmessage = function (event) {
      lastHeard = Date.now();
      var message;
      try { message = JSON.parse(event.data); } catch (err) { return; }
      handle(message);
    };
    socket.onclose = function (event) {
      socket = null;
      window.clearInterval(pingTimer);
      status("offline");
      if (event.code === 4401 || event.code === 4403) { stopped = true; return; }
      if (event.code === 4000) { attempt = 0; }
      scheduleReconnect();
    };
  }

  // Exponential backoff with full jitter: a restarted server is not hit by every tab at once.
  function scheduleReconnect() {
    if (stopped || reconnectTimer) return;
    var ceiling = Math.min(30000, 500 * Math.pow(2, attempt));
    attempt += 1;
    reconnectTimer = window.setTimeout(connect, 250 + Math.random() * ceiling);
  }

  function send(message) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(message));
  }

  function startHeartbeat() {
    window.clearInterval(pingTimer);
    pingTimer = window.setInterval(function () {
      // No answer for two beats: the connection is dead even if the browser has not noticed.
      if (Date.now() - lastHeard > 2 * heartbeat * 1000 + 5000) {
        if (socket) socket.close();
        return;
      }
      send({ type: "ping" });
    }, heartbeat * 1000);
  }

  function seen(id) {
    if (typeof id === "number" && (lastId === null || id > lastId)) lastId = id;
  }

  function handle(message) {
    switch (message.type) {
      case "welcome":
        heartbeat = message.heartbeat || heartbeat;
        startHeartbeat();
        (message.denied || []).forEach(function (d) { if (d.stream && d.stream.indexOf("thread:") === 0) gone(); });
        break;
      case "ready":
        attempt = 0;
        seen(message.id);
        status("live");
        break;
      case "pong":
        seen(message.id);
        break;
      case "event":
        seen(message.id);
        apply(message);
        break;
      case "unsubscribed":
        if (message.reason === "not_found" && String(message.stream).indexOf("thread:") === 0) gone();
        break;
      case "resync":
        if (message.reason === "restored") lastId = null; // ids of the log before a restore
        if (message.reason === "too_far_behind" || message.reason === "restored") stale();
        break;
      case "error":
        if (message.code === "unauthenticated") stopped = true;
        break;
    }
  }

  function apply(message) {
    var data = message.data || {};
    if (message.kind === "post") showPost(data);
    else if (message.kind === "accepted") showAccepted(data.thread);
    else if (message.kind === "score") showScore(data.post_id, data.score);
    else if (message.kind === "notification") showBell(data.unread);
    else if (message.kind === "item" && onQueue) showItem(data.item);
  }

  // --- small helpers ------------------------------------------------------------------------

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function banner(id, text, link) {
    var main = document.getElementById("main");
    if (!main) return;
    var note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "notice live-notice";
      note.setAttribute("role", "status");
      main.insertBefore(note, main.firstChild);
    }
    note.textContent = text + " ";
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      note.appendChild(a);
    }
  }

  function status(state) {
    document.documentElement.setAttribute("data-live", state);
  }

  function typing() {
    return Array.prototype.some.call(document.querySelectorAll("textarea, input[type=text]"), function (el) {
      return el.value && el.value !== el.defaultValue;
    });
  }

  // Missed too much to catch up: reload, unless that would throw away what someone is typing.
  function stale() {
    if (!typing()) { location.reload(); return; }
    banner("live-stale", "This page is out of date.", { href: location.href, text: "Reload it" });
  }

  function gone() {
    stopped = true;
    if (socket) socket.close();
    banner("live-gone", "This thread is no longer available to you.", { href: "/", text: "Back to the latest threads" });
  }

  // --- thread page -----------------------------------------------------------------------------

  function fromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content.firstElementChild;
  }

  function showPost(data) {
    var node = fromHtml(data.html);
    if (!node) return;
    node.querySelectorAll('input[name="csrf_token"]').forEach(function (input) { input.value = csrfToken(); });
    node.querySelectorAll('input[name="next"]').forEach(function (input) {
      input.value = location.pathname + location.search + "#p" + data.post_id;
    });
    var old = document.getElementById("p" + data.post_id);
    if (old) {
      keepVote(old, node);
      old.replaceWith(node);
    } else if (!data.is_opening) {
      var replies = document.querySelector("section.replies");
      if (!replies) return;
      if (replies.querySelector('nav.pagination a[rel="next"]')) {
        banner("live-more", "New posts were added.", { href: "?page=last", text: "See the last page" });
      } else {
        replies.insertBefore(node, replies.querySelector("nav.pagination"));
        node.classList.add("live-new");
      }
    }
    showThread(data.thread);
  }

  function keepVote(old, node) {
    var was = old.querySelector("button.vote.on");
    var now = node.querySelector("button.vote");
    if (!was || !now) return;
    now.classList.add("on");
    now.setAttribute("aria-pressed", "true");
    var helpful = now.form && now.form.querySelector('input[name="helpful"]');
    if (helpful) helpful.value = "0";
  }

  function showThread(thread) {
    if (!thread) return;
    var heading = document.querySelector("h1.thread-heading");
    if (heading && thread.title) heading.textContent = thread.title;
    var count = document.getElementById("replies-heading");
    if (count && typeof thread.reply_count === "number") {
      var n = thread.reply_count;
      var words = thread.kind === "question" ? ["answer", "answers"] : ["reply", "replies"];
      count.textContent = n + " " + (n === 1 ? words[0] : words[1]);
    }
  }

  function showAccepted(thread) {
    if (!thread) return;
    var accepted = thread.accepted_post_id;
    document.querySelectorAll("article.post").forEach(function (article) {
      var isIt = article.id === "p" + accepted;
      article.classList.toggle("accepted", isIt);
      var badge = article.querySelector(".post-head .badge.solved");
      if (isIt && !badge) {
        badge = document.createElement("span");
        badge.className = "badge solved";
        badge.textContent = "Accepted answer";
        article.querySelector(".post-head").appendChild(badge);
      } else if (!isIt && badge) {
        badge.remove();
      }
      var form = article.querySelector('form[action$="/accept"]');
      if (form) {
        form.querySelector('input[name="accept"]').value = isIt ? "0" : "1";
        form.querySelector("button").textContent = isIt ? "Unaccept" : "Accept this answer";
      }
      if (isIt) {
        var heading = document.getElementById("replies-heading");
        if (heading && heading.nextElementSibling !== article) heading.after(article);
      }
    });
    var metaLine = document.querySelector(".thread-meta");
    if (metaLine) {
      var solved = metaLine.querySelector(".badge.solved");
      if (accepted && !solved) {
        solved = document.createElement("span");
        solved.className = "badge solved";
        solved.textContent = "Solved";
        metaLine.insertBefore(solved, metaLine.firstChild);
      } else if (!accepted && solved) {
        solved.remove();
      }
    }
    showThread(thread);
  }

  function showScore(postId, score) {
    var article = document.getElementById("p" + postId);
    if (!article) return;
    var target = article.querySelector("button.vote, .post-actions .score");
    if (target) target.textContent = "Helpful · " + score;
  }

  // --- the bell ----------------------------------------------------------------------------------

  function showBell(unread) {
    var bell = document.getElementById("bell");
    if (!bell || typeof unread !== "number") return;
    bell.setAttribute("data-unread", String(unread));
    // As the server renders it (community/web/bell.py): "99+" above 99, the label for screen readers.
    var shown = unread > 99 ? "99+" : String(unread);
    bell.setAttribute("aria-label", unread > 0 ? "Notifications, " + shown + " unread" : "Notifications");
    bell.classList.toggle("unread", unread > 0);
    var count = bell.querySelector(".bell-count, [data-count]");
    if (count) {
      count.textContent = unread > 0 ? shown : "";
      count.hidden = unread === 0;
    }
  }

  // --- review queue ------------------------------------------------------------------------------

  function waited(created) {
    var seconds = Math.max(0, (Date.now() - Date.parse(created)) / 1000);
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h";
    return Math.floor(seconds / 86400) + " d";
  }

  function cell(text, href) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    return td;
  }

  function queueCount(delta) {
    var line = document.querySelector("[data-queue-total]");
    if (!line) return;
    var n = Math.max(0, parseInt(line.getAttribute("data-queue-total"), 10) + delta);
    line.setAttribute("data-queue-total", String(n));
    line.textContent = n + " waiting, oldest first.";
  }

  // An empty queue has no table yet: the first live item brings it (the same columns as
  // templates/moderation/queue.html).
  function emptyQueueTable() {
    var empty = document.querySelector("main p.empty");
    var total = document.querySelector("[data-queue-total]");
    if (!total) return null;
    var table = document.createElement("table");
    table.className = "queue";
    var head = table.createTHead().insertRow();
    ["Item", "Type", "Why", "Author", "Waiting", "Handled by"].forEach(function (text) {
      var th = document.createElement("th");
      th.textContent = text;
      head.appendChild(th);
    });
    var body = table.createTBody();
    total.parentNode.insertBefore(table, total.nextSibling);
    if (empty) empty.remove();
    return body;
  }

  function showItem(item) {
    if (!item) return;
    var body = document.querySelector("table.queue tbody");
    var row = document.querySelector('tr[data-item-id="' + item.id + '"]');
    if (item.state !== "pending") {
      if (!row || row.classList.contains("decided")) return;
      row.classList.add("decided");
      row.querySelector(".handled-by").textContent =
        "Decided by " + (item.decided_by_name || "a moderator") + " (" + (item.decision || "") + ")";
      queueCount(-1);
      window.setTimeout(function () { row.remove(); }, 8000);
      return;
    }
    if (!row) {
      var filtered = Array.prototype.some.call(document.querySelectorAll("form.filters select, form.filters input"),
        function (el) { return el.value; });
      if (!body && !filtered) body = emptyQueueTable();
      if (!body || filtered) {
        banner("live-queue", "New items are waiting.", { href: location.pathname, text: "Show all" });
        return;
      }
      row = document.createElement("tr");
      row.setAttribute("data-item-id", String(item.id));
      row.setAttribute("data-created", item.created_at);
      row.appendChild(cell(item.thread_title || "Item " + item.id, "/moderation/items/" + item.id));
      row.appendChild(cell(String(item.kind).replace(/_/g, " ")));
      row.appendChild(cell(item.reason || ""));
      row.appendChild(cell(item.author_name || "", item.author_handle ? "/u/" + item.author_handle : null));
      var wait = cell(waited(item.created_at));
      wait.className = "waiting";
      row.appendChild(wait);
      var by = cell("—");
      by.className = "handled-by";
      row.appendChild(by);
      row.classList.add("live-new");
      body.appendChild(row);
      queueCount(1);
    }
    row.querySelector(".handled-by").textContent = item.claimed_by_name || "—";
  }

  if (onQueue) {
    window.setInterval(function () {
      document.querySelectorAll("tr[data-created]").forEach(function (row) {
        var wait = row.querySelector(".waiting");
        if (wait) wait.textContent = waited(row.getAttribute("data-created"));
      });
    }, 30000);
  }

  window.addEventListener("online", function () {
    if (!socket && !stopped) { window.clearTimeout(reconnectTimer); reconnectTimer = null; attempt = 0; connect(); }
  });
  status("connecting");
  connect();
})();
