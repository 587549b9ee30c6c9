// Agora's own page script: loaded from static files (the CSP forbids inline code).
(function () {
  "use strict";

  function csrfHeaders() {
    var headers = JSON.parse(document.body.getAttribute("data-hx-headers") || "{}");
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    return headers;
  }

  function post(url, data) {
    var body = Object.keys(data)
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(data[k]); })
      .join("&");
    return fetch(url, { method: "POST", headers: csrfHeaders(), credentials: "same-origin", body: body });
  }

  // Tell the server the browser's time zone once, so times render in the visitor's zone.
  function sendTimezone() {
    var body = document.body;
    if (!body || body.dataset.tzKnown === "1" || !window.Intl || !window.fetch) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) post(body.dataset.settzUrl, { timezone: zone }).catch(function () {});
  }

  // Post and list times: the server writes an ISO date and time in the reader's zone; the
  // browser says it relative to now ("3 days ago", "3天前") and puts the date in the page's
  // language and zone in the tooltip, as Discourse does, so the server formats no date per post
  // or row. Without Intl.RelativeTimeFormat the written time stays.
  var RELATIVE_STEPS = [
    [60, 1, "second"], [3600, 60, "minute"], [86400, 3600, "hour"], [2592000, 86400, "day"],
    [31536000, 2629800, "month"], [Infinity, 31557600, "year"]
  ];
  var relativeFormat = null;
  var dateFormat = null;
  function timeFormats() {
    var lang = document.documentElement.lang || undefined;
    var zone = document.documentElement.dataset.timeZone || undefined;
    var style = { dateStyle: "medium", timeStyle: "short" };
    try {
      relativeFormat = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    } catch (e) {
      relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
    }
    try {
      dateFormat = new Intl.DateTimeFormat(lang, Object.assign({ timeZone: zone }, style));
    } catch (e) {  // a zone name this browser does not know: its own zone
      dateFormat = new Intl.DateTimeFormat(lang, style);
    }
  }
  function relativeTimes(root) {
    if (!window.Intl || !Intl.RelativeTimeFormat || !root.querySelectorAll) return;
    if (!relativeFormat) timeFormats();
    var now = Date.now();
    root.querySelectorAll("time[data-relative]").forEach(function (el) {
      var then = Date.parse(el.getAttribute("datetime"));
      if (isNaN(then)) return;
      el.title = dateFormat.format(then);
      var seconds = (then - now) / 1000;
      for (var i = 0; i < RELATIVE_STEPS.length; i++) {
        if (Math.abs(seconds) < RELATIVE_STEPS[i][0]) {
          el.textContent = relativeFormat.format(Math.round(seconds / RELATIVE_STEPS[i][1]), RELATIVE_STEPS[i][2]);
          return;
        }
      }
    });
  }

  // Close an open dropdown when the visitor clicks elsewhere or presses Escape.
  function closeDropdowns(except) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }

  // Mermaid fences arrive as <pre class="mermaid">; render them (strict security level). The
  // 3.6 MB library is fetched only when a page (or a fragment swapped in) holds a diagram.
  var mermaidReady = false;
  var mermaidLoading = false;
  function renderDiagrams(root) {
    if (!window.mermaid) {
      var src = document.body.dataset.mermaidSrc;
      if (mermaidLoading || !src || !document.querySelector("pre.mermaid:not([data-processed])")) return;
      mermaidLoading = true;
      var script = document.createElement("script");
      script.src = src;
      script.addEventListener("load", function () { renderDiagrams(document); });
      document.head.appendChild(script);
      return;
    }
    if (!mermaidReady) {
      var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
      window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default" });
      mermaidReady = true;
    }
    var nodes = (root || document).querySelectorAll("pre.mermaid:not([data-processed])");
    if (nodes.length) window.mermaid.run({ nodes: nodes, suppressErrors: true });
  }

  // The composer: drafts saved on the server a few seconds after typing stops.
  function setupComposer(composer) {
    var textarea = composer.querySelector("textarea");
    var status = composer.querySelector(".draft-status");
    var key = composer.dataset.draftKey;
    if (!textarea || !key || !textarea.dataset.draftUrl) return;
    var form = textarea.form;
    var timer = null;
    function save() {
      var title = form && form.elements.title ? form.elements.title.value : "";
      post(textarea.dataset.draftUrl, { key: key, raw: textarea.value, title: title })
        .then(function (r) { return r.text(); })
        .then(function (text) { if (status) status.textContent = text; })
        .catch(function () {});
    }
    function schedule() { clearTimeout(timer); timer = setTimeout(save, 2000); }
    textarea.addEventListener("input", schedule);
    if (form && form.elements.title) form.elements.title.addEventListener("input", schedule);
    if (form) form.addEventListener("submit", function () { clearTimeout(timer); });
  }

  // Images pasted, dropped or chosen in the composer are uploaded and linked as Markdown.
  function setupUploads(composer) {
    var textarea = composer.querySelector("textarea");
    var status = composer.querySelector(".draft-status");
    if (!textarea || !textarea.dataset.uploadUrl) return;
    function insert(text) {
      var start = textarea.selectionStart || textarea.value.length;
      textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(textarea.selectionEnd || start);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function send(file) {
      var data = new FormData();
      data.append("image", file, file.name || "pasted.png");
      var headers = JSON.parse(document.body.getAttribute("data-hx-headers") || "{}");
      if (status) status.textContent = "…";
      fetch(textarea.dataset.uploadUrl, { method: "POST", headers: headers, credentials: "same-origin", body: data })
        .then(function (r) { return r.json(); })
        .then(function (result) {
          if (result.markdown) { insert("\n" + result.markdown + "\n"); if (status) status.textContent = ""; }
          else if (status) status.textContent = result.error;
        })
        .catch(function () {});
    }
    function images(list) {
      return Array.prototype.filter.call(list || [], function (f) { return /^image\//.test(f.type); });
    }
    textarea.addEventListener("paste", function (event) {
      var files = images(event.clipboardData && event.clipboardData.files);
      if (files.length) { event.preventDefault(); files.forEach(send); }
    });
    textarea.addEventListener("dragover", function (event) { event.preventDefault(); });
    textarea.addEventListener("drop", function (event) {
      var files = images(event.dataTransfer && event.dataTransfer.files);
      if (files.length) { event.preventDefault(); files.forEach(send); }
    });
    var input = composer.querySelector(".composer-upload");
    if (input) input.addEventListener("change", function () { images(input.files).forEach(send); input.value = ""; });
  }

  // @mention autocomplete: after "@ab", suggest members; click, Enter or Tab picks one.
  function setupMentions(composer) {
    var textarea = composer.querySelector("textarea");
    var list = composer.querySelector(".mention-suggestions");
    if (!textarea || !list || !textarea.dataset.mentionUrl) return;
    var timer = null;
    var active = -1;
    function current() {
      var before = textarea.value.slice(0, textarea.selectionStart);
      var match = /(^|[\s(])@([\w.-]{1,40})$/.exec(before);
      return match ? match[2] : null;
    }
    function close() { list.hidden = true; list.replaceChildren(); active = -1; }
    function pick(username) {
      var start = textarea.selectionStart;
      var before = textarea.value.slice(0, start).replace(/@[\w.-]*$/, "@" + username + " ");
      textarea.value = before + textarea.value.slice(start);
      textarea.selectionStart = textarea.selectionEnd = before.length;
      close();
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.focus();
    }
    function highlight(index) {
      var items = list.querySelectorAll("li");
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
    }
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      var prefix = current();
      if (!prefix) { close(); return; }
      timer = setTimeout(function () {
        fetch(textarea.dataset.mentionUrl + "?q=" + encodeURIComponent(prefix), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.replaceChildren.apply(list, data.members.map(function (m) {
              var li = document.createElement("li");
              li.setAttribute("role", "option");
              li.dataset.username = m.username;
              li.textContent = "@" + m.username + (m.name !== m.username ? " · " + m.name : "");
              li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(m.username); });
              return li;
            }));
            list.hidden = data.members.length === 0;
            if (data.members.length) highlight(0);
          })
          .catch(function () {});
      }, 200);
    });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      var items = list.querySelectorAll("li");
      if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) { event.preventDefault(); pick(items[active].dataset.username); }
      else if (event.key === "Escape") { close(); }
    });
    textarea.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // Reply to a post, or quote it (the selected part if the reader selected text in it).
  function replyBox() { return document.querySelector(".reply-form"); }

  function onReplyClick(button) {
    var form = replyBox();
    if (!form) return;
    form.querySelector(".reply-to-field").value = button.dataset.replyTo;
    var note = form.querySelector(".replying-to");
    note.textContent = "↪ " + button.dataset.replyName;
    note.hidden = false;
    form.querySelector("textarea").focus();
  }

  function onQuoteClick(button) {
    var form = replyBox();
    if (!form) return;
    var article = button.closest("article.post");
    var selection = window.getSelection ? String(window.getSelection()) : "";
    var body = article.querySelector(".post-body");
    var inPost = selection && window.getSelection().anchorNode && body && body.contains(window.getSelection().anchorNode);
    var text = inPost ? selection : article.querySelector(".post-raw").textContent;
    var number = button.dataset.quotePost;
    var link = article.closest(".posts").dataset.topicUrl + number + "/#post-" + number;
    var quoted = text.trim().split("\n").map(function (line) { return "> " + line; }).join("\n");
    var textarea = form.querySelector("textarea");
    var header = "> @" + button.dataset.quoteAuthor + " [wrote](" + link + "):\n";
    textarea.value = (textarea.value ? textarea.value + "\n\n" : "") + header + quoted + "\n\n";
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  // Tag suggestions for the topic form's datalist.
  function setupTagSuggestions() {
    var list = document.getElementById("tag-suggestions");
    var input = document.querySelector("input[list=tag-suggestions]");
    if (!list || !input) return;
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var words = input.value.split(/[\s,，]+/);
        var last = words[words.length - 1];
        if (!last) return;
        fetch(list.dataset.suggestUrl + "?q=" + encodeURIComponent(last), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            var prefix = words.slice(0, -1).join(" ");
            list.replaceChildren.apply(list, data.tags.map(function (t) {
              var option = document.createElement("option");
              option.value = (prefix ? prefix + " " : "") + t.name;
              return option;
            }));
          })
          .catch(function () {});
      }, 250);
    });
  }

  // Loss curves of a training run (Chart.js from static files), redrawn after each htmx poll.
  var COLOURS = ["#7c3aed", "#dc2626", "#0891b2", "#16a34a", "#ea580c", "#db2777"];
  function drawCharts(root) {
    if (!window.Chart) return;
    (root || document).querySelectorAll("canvas.loss-chart").forEach(function (canvas) {
      var points = JSON.parse(canvas.dataset.curves || "[]");
      if (!points.length) return;
      var keys = Object.keys(points[0]).filter(function (k) { return k !== "step"; });
      var names = JSON.parse(canvas.dataset.labels || "{}");  // legend in the page's language
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: points.map(function (p) { return p.step; }),
          datasets: keys.map(function (k, i) {
            return { label: names[k] || k, data: points.map(function (p) { return p[k]; }), borderColor: COLOURS[i % 6], pointRadius: 0, borderWidth: 1.5 };
          }),
        },
        options: { animation: false, responsive: true, scales: { x: { title: { display: true, text: canvas.dataset.xLabel || "step" } } } },
      });
    });
    (root || document).querySelectorAll("canvas.compare-chart").forEach(function (canvas) {
      var series = JSON.parse(canvas.dataset.series || "[]");
      var datasets = [];
      series.forEach(function (run, i) {
        if (!run.curves.length) return;
        var key = Object.keys(run.curves[0]).filter(function (k) { return k !== "step"; })[0];
        datasets.push({ label: run.title + " · " + key, data: run.curves.map(function (p) { return { x: p.step, y: p[key] }; }),
                        borderColor: COLOURS[i % 6], pointRadius: 0, borderWidth: 1.5 });
      });
      new window.Chart(canvas, { type: "line", data: { datasets: datasets },
        options: { animation: false, parsing: false, scales: { x: { type: "linear", title: { display: true, text: canvas.dataset.xLabel || "step" } } } } });
    });
  }

  // A challenge's leaderboard: score against training CPU-minutes, the Pareto front joined
  // and highlighted (data in a <script type="application/json">, read here: no inline script).
  function drawParetoCharts(root) {
    if (!window.Chart) return;
    (root || document).querySelectorAll("canvas.pareto-chart").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.points);
      var points = source ? JSON.parse(source.textContent || "[]") : [];
      if (!points.length) return;
      var front = points.filter(function (p) { return p.pareto; }).sort(function (a, b) { return a.x - b.x; });
      var others = points.filter(function (p) { return !p.pareto; });
      new window.Chart(canvas, {
        type: "scatter",
        data: { datasets: [
          { label: canvas.dataset.frontLabel, data: front, borderColor: COLOURS[0], backgroundColor: COLOURS[0], showLine: true, pointRadius: 5 },
          { label: canvas.dataset.othersLabel, data: others, borderColor: "#94a3b8", backgroundColor: "#94a3b8", pointRadius: 4 },
        ] },
        options: { animation: false, responsive: true,
          plugins: { tooltip: { callbacks: { label: function (c) { return c.raw.label + ": " + c.raw.y.toPrecision(4) + " @ " + c.raw.x + " min"; } } } },
          scales: { x: { type: "linear", title: { display: true, text: canvas.dataset.xLabel } },
                    y: { title: { display: true, text: canvas.dataset.yLabel } } } },
      });
    });
  }

  // The lab's compare form: turn the ticked runs into ?ids=1,2,3.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("run-compare-form")) return;
    var ids = Array.prototype.map.call(form.querySelectorAll("input[name=pick]:checked"), function (c) { return c.value; });
    form.querySelector("input[name=ids]").value = ids.join(",");
    form.querySelectorAll("input[name=pick]").forEach(function (c) { c.disabled = true; });
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    closeDropdowns(target.closest && target.closest("details.dropdown"));
    var reply = target.closest && target.closest("[data-reply-to]");
    if (reply) onReplyClick(reply);
    var quote = target.closest && target.closest("[data-quote-post]");
    if (quote) onQuoteClick(quote);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeDropdowns(null);
  });
  document.addEventListener("DOMContentLoaded", function () {
    sendTimezone();
    relativeTimes(document);
    renderDiagrams(document);
    drawCharts(document);
    drawParetoCharts(document);
    document.querySelectorAll(".composer").forEach(function (c) { setupComposer(c); setupUploads(c); setupMentions(c); });
    setupTagSuggestions();
  });
  // On phones the quick results are fixed to the screen's width: place them under the box.
  function placeQuickResults(box) {
    var input = box.parentNode.querySelector("input[type=search]");
    if (input) box.style.setProperty("--agora-quick-top", Math.round(input.getBoundingClientRect().bottom + 4) + "px");
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    relativeTimes(event.target);
    renderDiagrams(event.target);
    drawCharts(event.target);
    if (event.target.id === "search-quick") placeQuickResults(event.target);
  });
})();
