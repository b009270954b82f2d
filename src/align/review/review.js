// transmem alignment review page. Plain script, no dependencies: the page
// must work offline from a single file. The state is the list of links over
// the segment texts; every correction snapshots it for undo, and only the
// current page of links is in the DOM (100 rows), so a 6,000-link page opens
// and filters quickly.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("tm-data").textContent);
  var PAGE = 100;
  var text = { s: D.src.slice(), t: D.tgt.slice() };
  var anchors = { s: D.src_anchors, t: D.tgt_anchors };
  var edited = { s: {}, t: {} };
  var links = D.links.map(function (l) {
    return { src: l.src.slice(), tgt: l.tgt.slice(), score: l.score, ok: false };
  });
  var undoStack = [], redoStack = [];
  var cur = 0, page = 0, view = null, editing = false;
  var rowsEl = document.getElementById("tm-rows");
  var onlyEl = document.getElementById("tm-only");
  var belowEl = document.getElementById("tm-below");
  var statusEl = document.getElementById("tm-status");
  var barEl = document.querySelector(".bar");

  function esc(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function threshold() {
    var v = parseFloat(belowEl.value);
    return isNaN(v) ? 0.9 : v;
  }
  function doubtful(l) { return !l.ok && l.score < threshold(); }
  function band(l) { return l.ok ? "ok" : l.score >= 0.9 ? "hi" : l.score >= 0.5 ? "mid" : "lo"; }
  function shape(l) { return l.src.length + ":" + l.tgt.length; }

  // The view: indices of the links shown (all, or the doubtful ones).
  function computeView() {
    if (!onlyEl.checked) { view = null; return; }
    view = [];
    for (var k = 0; k < links.length; k++) if (doubtful(links[k])) view.push(k);
  }
  function viewLen() { return view ? view.length : links.length; }
  function viewAt(p) { return view ? view[p] : p; }
  // Position in the view of the first shown link at or after link k.
  function posOf(k) {
    if (!view) return Math.min(k, links.length - 1);
    var lo = 0, hi = view.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (view[m] < k) lo = m + 1; else hi = m; }
    return Math.min(lo, view.length - 1);
  }

  // Link objects, their index arrays and the text arrays are never changed
  // in place: a correction puts new ones in their place. So a snapshot is
  // one array of references (48 KB for 6,000 links), and 500 undo steps
  // stay small.
  function snapshot() {
    return { links: links.slice(), s: text.s, t: text.t, es: edited.s, et: edited.t, cur: cur };
  }
  function restore(x) {
    links = x.links; text = { s: x.s, t: x.t }; edited = { s: x.es, t: x.et }; cur = x.cur;
  }
  // Runs a correction; `fn` returns false when it changed nothing.
  function act(fn, label, verb) {
    // With the filter showing nothing, no link is selected on screen.
    if (view && !view.length) { say("No link is shown."); return; }
    var before = snapshot();
    if (fn() === false) { say("Cannot " + (verb || "do that") + " here."); return; }
    undoStack.push(before);
    if (undoStack.length > 500) undoStack.shift();
    redoStack = [];
    say(label);
    refresh();
  }
  function say(msg) { statusEl.textContent = msg; }
  // A link the translator made or checked: a new object.
  function checked(l) { return { src: l.src, tgt: l.tgt, score: 1, ok: true }; }

  var ops = {
    confirm: function () { var l = links[cur]; if (l.ok) return false; links[cur] = checked(l); },
    join: function () {
      if (cur + 1 >= links.length) return false;
      var a = links[cur], b = links[cur + 1];
      links.splice(cur, 2, checked({ src: a.src.concat(b.src), tgt: a.tgt.concat(b.tgt) }));
    },
    split: function () {
      var l = links[cur], n = Math.max(l.src.length, l.tgt.length);
      if (n < 2) return false;
      var parts = [];
      for (var i = 0; i < n; i++) {
        parts.push(checked({ src: i < l.src.length ? [l.src[i]] : [], tgt: i < l.tgt.length ? [l.tgt[i]] : [] }));
      }
      links.splice.apply(links, [cur, 1].concat(parts));
    },
    unlink: function () {
      var l = links[cur];
      if (!l.src.length || !l.tgt.length) return false;
      links.splice(cur, 1, checked({ src: l.src, tgt: [] }), checked({ src: [], tgt: l.tgt }));
    },
    srcPrev: function () { return move("src", -1); },
    srcNext: function () { return move("src", 1); },
    tgtPrev: function () { return move("tgt", -1); },
    tgtNext: function () { return move("tgt", 1); }
  };
  // Moves the first (dir -1) or last (dir 1) segment of one side of the
  // current link to the neighbouring link, creating a one-sided link at
  // either end; a link left empty disappears.
  function move(side, dir) {
    var l = checked(links[cur]), ids = l[side];
    if (!ids.length) return false;
    var seg = dir < 0 ? ids[0] : ids[ids.length - 1];
    l[side] = dir < 0 ? ids.slice(1) : ids.slice(0, -1);
    links[cur] = l;
    var n = cur + dir;
    if (n < 0 || n >= links.length) {
      var fresh = checked({ src: [], tgt: [] });
      fresh[side] = [seg];
      if (n < 0) { links.unshift(fresh); cur += 1; n = 0; } else links.push(fresh);
    } else {
      var m = checked(links[n]);
      m[side] = dir < 0 ? m[side].concat([seg]) : [seg].concat(m[side]);
      links[n] = m;
    }
    if (!l.src.length && !l.tgt.length) { links.splice(cur, 1); if (dir > 0) n -= 1; cur = n; }
  }

  function undo() {
    if (!undoStack.length) return say("Nothing to undo.");
    redoStack.push(snapshot()); restore(undoStack.pop()); say("Undone."); refresh();
  }
  function redo() {
    if (!redoStack.length) return say("Nothing to redo.");
    undoStack.push(snapshot()); restore(redoStack.pop()); say("Redone."); refresh();
  }

  // Anchor keys shared by both sides of a link.
  function sharedKeys(l) {
    var s = {}, out = {};
    l.src.forEach(function (i) { (anchors.s[i] || []).forEach(function (a) { s[a[1]] = 1; }); });
    l.tgt.forEach(function (i) { (anchors.t[i] || []).forEach(function (a) { if (s[a[1]]) out[a[1]] = 1; }); });
    return out;
  }
  function segHtml(side, i, keys) {
    var t = text[side][i], ranges = [];
    (anchors[side][i] || []).forEach(function (a) {
      if (!keys[a[1]]) return;
      var from = 0, at;
      while ((at = t.indexOf(a[0], from)) >= 0) { ranges.push([at, at + a[0].length]); from = at + a[0].length; }
    });
    ranges.sort(function (x, y) { return x[0] - y[0]; });
    var html = "", pos = 0;
    ranges.forEach(function (r) {
      if (r[0] < pos) return;
      html += esc(t.slice(pos, r[0])) + "<mark>" + esc(t.slice(r[0], r[1])) + "</mark>";
      pos = r[1];
    });
    html += esc(t.slice(pos));
    return '<span class="seg' + (edited[side][i] ? " edited" : "") + '" data-side="' + side + '" data-i="' + i + '">' + html + "</span>";
  }
  function cell(side, ids, keys, lang) {
    if (!ids.length) return '<div class="t gap" lang="' + esc(lang) + '">unaligned</div>';
    return '<div class="t" lang="' + esc(lang) + '">' + ids.map(function (i) { return segHtml(side, i, keys); }).join("") + "</div>";
  }
  function rowHtml(k) {
    var l = links[k], keys = sharedKeys(l), conf = l.ok ? "\u2713" : l.score.toFixed(2);
    return '<div class="row ' + band(l) + (k === cur ? " cur" : "") + '" role="listitem" tabindex="-1" id="l-' + (k + 1) +
      '" data-k="' + k + '" aria-label="Link ' + (k + 1) + ", " + shape(l) + ", " +
      (l.ok ? "confirmed" : "confidence " + l.score.toFixed(2)) + '"' + (k === cur ? ' aria-current="true"' : "") + ">" +
      '<div class="n"><span class="num">' + (k + 1) + '</span><span class="shape">' + shape(l) +
      '</span><span class="conf">' + conf + "</span></div>" +
      cell("s", l.src, keys, D.langs[0]) + cell("t", l.tgt, keys, D.langs[1]) + "</div>";
  }

  function counts() {
    var shapes = {}, bands = { hi: 0, mid: 0, lo: 0, ok: 0 }, nd = 0;
    links.forEach(function (l) {
      var sh = shape(l);
      shapes[sh] = (shapes[sh] || 0) + 1;
      bands[band(l)]++;
      if (doubtful(l)) nd++;
    });
    var parts = Object.keys(shapes).sort(function (a, b) { return shapes[b] - shapes[a]; })
      .map(function (s) { return s + " <b>" + shapes[s] + "</b>"; });
    document.getElementById("tm-counts").innerHTML = "<b>" + links.length + "</b> links: " + parts.join(", ") +
      " &middot; confidence &ge;0.9 <b>" + bands.hi + "</b>, 0.5\u20130.9 <b>" + bands.mid + "</b>, &lt;0.5 <b>" + bands.lo +
      "</b>, confirmed <b>" + bands.ok + "</b> &middot; doubtful (below " + threshold() + ") <b id=\"tm-ndoubt\">" + nd + "</b>";
    return nd;
  }
  function jumpList() {
    var det = document.getElementById("tm-jump");
    if (!det.open) return;
    var out = [];
    links.forEach(function (l, k) { if (doubtful(l)) out.push('<a href="#l-' + (k + 1) + '" data-k="' + k + '">#' + (k + 1) + " " + l.score.toFixed(2) + "</a>"); });
    document.getElementById("tm-jumplist").innerHTML = out.join(" ") || "No doubtful links.";
  }

  function render(focus) {
    var n = viewLen();
    var pages = Math.max(1, Math.ceil(n / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    var html = [];
    for (var p = page * PAGE; p < Math.min(n, (page + 1) * PAGE); p++) html.push(rowHtml(viewAt(p)));
    rowsEl.innerHTML = html.join("") || '<p class="empty">No links to show.</p>';
    document.getElementById("tm-page").textContent = "Page " + (page + 1) + " of " + pages + " (" + n + " links shown)";
    if (focus) focusCur();
  }
  function focusCur() {
    var el = document.getElementById("l-" + (cur + 1));
    if (!el) return;
    // The sticky bar covers the top of the window, and its height changes
    // with the width and the status line: scrolling keeps the current link
    // below it, not under it (in Chromium and Firefox alike).
    document.documentElement.style.scrollPaddingTop = barEl.offsetHeight + "px";
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }
  // After a correction: recount, recompute the view, keep `cur` visible.
  function refresh() {
    cur = Math.max(0, Math.min(cur, links.length - 1));
    computeView();
    counts();
    jumpList();
    select(cur, true);
  }
  function select(k, force) {
    if (!links.length) return render(false);
    k = Math.max(0, Math.min(k, links.length - 1));
    var p = posOf(k);
    if (view && view.length) k = view[p];
    var newPage = Math.floor(p / PAGE);
    var old = cur;
    cur = k;
    if (force || newPage !== page || !document.getElementById("l-" + (k + 1))) { page = newPage; render(true); return; }
    var o = document.getElementById("l-" + (old + 1));
    if (o) { o.classList.remove("cur"); o.removeAttribute("aria-current"); }
    var el = document.getElementById("l-" + (k + 1));
    el.classList.add("cur"); el.setAttribute("aria-current", "true");
    focusCur();
  }
  function step(dir) {
    var p = view ? posOf(cur) : cur;
    if (view && view[p] !== cur && dir > 0) p -= 1;
    p += dir;
    if (p < 0 || p >= viewLen()) return;
    select(viewAt(p));
  }
  function nextDoubtful(dir) {
    for (var k = cur + dir; k >= 0 && k < links.length; k += dir) if (doubtful(links[k])) return select(k);
    say("No more doubtful links " + (dir > 0 ? "below." : "above."));
  }

  function startEdit(focusSide, focusIdx) {
    var row = document.getElementById("l-" + (cur + 1));
    if (!row) return;
    editing = true;
    var first = null;
    row.querySelectorAll(".seg").forEach(function (span) {
      var side = span.dataset.side, i = +span.dataset.i;
      var ta = document.createElement("textarea");
      ta.value = text[side][i];
      ta.dataset.side = side; ta.dataset.i = i;
      ta.setAttribute("aria-label", (side === "s" ? "Source" : "Target") + " segment " + (i + 1));
      span.replaceWith(ta);
      fit(ta);
      ta.addEventListener("input", function () { fit(ta); });
      if (!first || (side === focusSide && i === focusIdx)) first = ta;
    });
    if (first) first.focus();
  }
  // A text box as tall as its text: a long sentence is read whole while it
  // is edited, not through a two-line slot.
  function fit(ta) {
    ta.style.height = "auto";
    ta.style.height = (ta.scrollHeight + ta.offsetHeight - ta.clientHeight) + "px";
  }
  // Keeps the edits of the current row's textareas (one undo step).
  function endEdit(keep) {
    var areas = rowsEl.querySelectorAll("textarea");
    editing = false;
    var changes = [];
    areas.forEach(function (ta) {
      var side = ta.dataset.side, i = +ta.dataset.i;
      if (keep && ta.value !== text[side][i]) changes.push([side, i, ta.value]);
    });
    if (!changes.length) { render(true); return; }
    act(function () {
      // Copies, not in place: undo snapshots share the old arrays.
      text = { s: text.s.slice(), t: text.t.slice() };
      edited = { s: Object.assign({}, edited.s), t: Object.assign({}, edited.t) };
      changes.forEach(function (c) { text[c[0]][c[1]] = c[2]; edited[c[0]][c[1]] = true; });
      links[cur] = checked(links[cur]);
    }, "Edited " + changes.length + " segment" + (changes.length > 1 ? "s." : "."));
  }

  // A side's text: its non-empty segments joined by a space (an edit over
  // several segments, re-opened from a corrections file, sits in the first).
  function joined(ids, texts) {
    return ids.map(function (i) { return texts[i]; }).filter(function (t) { return t !== ""; }).join(" ");
  }
  function corrections() {
    var c = {
      links: links.map(function (l) {
        return {
          src: l.src, tgt: l.tgt,
          src_text: joined(l.src, text.s),
          tgt_text: joined(l.tgt, text.t),
          score: Math.round(l.score * 1000) / 1000
        };
      })
    };
    // The fingerprints of the files' segments: `--review` refuses other texts.
    if (D.texts) { c.texts = D.texts; }
    return c;
  }
  function save() {
    var body = JSON.stringify(corrections());
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([body], { type: "application/json" }));
    a.download = "corrections.json";
    document.body.appendChild(a); a.click(); a.remove();
    say("Saved " + links.length + " links to corrections.json.");
    if (D.save_url) {
      fetch(D.save_url, { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
        .then(function (r) {
          if (r.ok) { say("Saved " + links.length + " links to the memory."); return; }
          // The server's own words (409: "this review was already saved in
          // batch N"), else the status.
          return r.json().then(function (j) { return j && j.error; }, function () { return null; })
            .then(function (why) {
              say("Saving to the memory failed: " + (why || r.status) + " (the file was downloaded).");
            });
        })
        .catch(function (e) { say("Saving to the memory failed: " + e + " (the file was downloaded)."); });
    }
  }

  var commands = {
    confirm: function () { act(ops.confirm, "Confirmed.", "confirm: already confirmed"); },
    join: function () { act(ops.join, "Joined with the next link.", "join: no next link"); },
    split: function () { act(ops.split, "Split.", "split: the link is 1:1 or one-sided"); },
    unlink: function () { act(ops.unlink, "Unlinked.", "unlink: one side is already empty"); },
    srcPrev: function () { act(ops.srcPrev, "Moved a source segment up.", "move: no source segment"); },
    srcNext: function () { act(ops.srcNext, "Moved a source segment down.", "move: no source segment"); },
    tgtPrev: function () { act(ops.tgtPrev, "Moved a target segment up.", "move: no target segment"); },
    tgtNext: function () { act(ops.tgtNext, "Moved a target segment down.", "move: no target segment"); },
    edit: function () { startEdit(); },
    undo: undo, redo: redo, save: save,
    nextDoubtful: function () { nextDoubtful(1); },
    pagePrev: function () { var p = (page - 1) * PAGE; if (p >= 0) select(viewAt(p)); },
    pageNext: function () { var p = (page + 1) * PAGE; if (p < viewLen()) select(viewAt(p)); }
  };

  document.querySelector(".tools").addEventListener("click", onButton);
  document.querySelector(".pager").addEventListener("click", onButton);
  function onButton(e) {
    var b = e.target.closest("button[data-act]");
    if (!b) return;
    if (editing) endEdit(true);
    commands[b.dataset.act]();
  }
  rowsEl.addEventListener("click", function (e) {
    if (e.target.closest("textarea")) return;
    var row = e.target.closest(".row");
    if (row && +row.dataset.k !== cur) { if (editing) endEdit(true); select(+row.dataset.k); }
  });
  rowsEl.addEventListener("dblclick", function (e) {
    var span = e.target.closest(".seg");
    if (!span) return;
    var row = span.closest(".row");
    if (+row.dataset.k !== cur) select(+row.dataset.k);
    startEdit(span.dataset.side, +span.dataset.i);
  });
  document.getElementById("tm-jump").addEventListener("toggle", jumpList);
  document.getElementById("tm-jumplist").addEventListener("click", function (e) {
    var a = e.target.closest("a[data-k]");
    if (!a) return;
    e.preventDefault();
    select(+a.dataset.k);
  });
  onlyEl.addEventListener("change", function () { refresh(); });
  belowEl.addEventListener("change", function () { refresh(); });

  var keys = {
    ArrowDown: function () { step(1); }, n: function () { step(1); },
    ArrowUp: function () { step(-1); }, p: function () { step(-1); },
    d: function () { nextDoubtful(1); }, D: function () { nextDoubtful(-1); },
    c: commands.confirm, j: commands.join, s: commands.split, u: commands.unlink,
    "[": commands.srcPrev, "]": commands.srcNext, "{": commands.tgtPrev, "}": commands.tgtNext,
    e: commands.edit, F2: commands.edit,
    f: function () { onlyEl.checked = !onlyEl.checked; refresh(); },
    PageDown: commands.pageNext, PageUp: commands.pagePrev
  };
  document.addEventListener("keydown", function (e) {
    var k = e.key, mod = e.ctrlKey || e.metaKey;
    if (mod && (k === "s" || k === "S")) { e.preventDefault(); if (editing) endEdit(true); save(); return; }
    if (e.target.tagName === "TEXTAREA") {
      if (k === "Enter" && !e.shiftKey) { e.preventDefault(); endEdit(true); }
      else if (k === "Escape") { e.preventDefault(); endEdit(false); }
      return;
    }
    if (e.target.tagName === "INPUT" || e.altKey) return;
    // Text boxes left open (focus moved away) keep their edits first.
    if (editing && !e.ctrlKey && !e.metaKey && keys[k]) endEdit(true);
    if (mod && (k === "z" || k === "Z")) { e.preventDefault(); if (e.shiftKey) redo(); else undo(); return; }
    if (mod && (k === "y" || k === "Y")) { e.preventDefault(); redo(); return; }
    if (mod) return;
    var f = keys[k];
    if (f) { e.preventDefault(); f(); }
  });

  counts();
  render(false);
  // Exposed for the browser tests and for a server page that wants the
  // corrections without a download.
  window.transmemReview = { corrections: corrections, links: function () { return links; } };
  requestAnimationFrame(function () { setTimeout(function () { window.transmemFirstRender = performance.now(); }, 0); });
})();
