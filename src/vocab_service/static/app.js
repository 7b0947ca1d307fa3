// Progressive enhancements; every page works without them. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";

  function setupCopyButtons() {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = button.getAttribute("data-copy");
        var done = function () {
          button.textContent = document.documentElement.lang === "en" ? "Copied" : "Gekopieerd";
          button.classList.add("copied");
          window.setTimeout(function () { button.textContent = label; button.classList.remove("copied"); }, 1500);
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(done, function () { selectText(button); });
        } else {
          selectText(button);
        }
      });
    });
  }

  function selectText(button) {
    var code = button.parentElement && button.parentElement.querySelector("code");
    if (!code) { return; }
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function setupAutocomplete() {
    var input = document.getElementById("search-box");
    if (!input || !input.form || !window.fetch) { return; }
    var form = input.form;
    var langField = form.querySelector("input[name=lang]");
    var lang = langField ? langField.value : document.documentElement.lang;
    var list = document.createElement("ul");
    list.id = "search-suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    form.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    var timer = 0;
    var sequence = 0;
    var active = -1;

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function show(results) {
      list.textContent = "";
      active = -1;
      if (!results.length) { close(); return; }
      results.forEach(function (hit, i) {
        var item = document.createElement("li");
        item.id = "suggestion-" + i;
        item.setAttribute("role", "option");
        var link = document.createElement("a");
        link.href = hit.href || ("/resource?uri=" + encodeURIComponent(hit.iri));
        link.textContent = hit.label;
        item.appendChild(link);
        if (hit.matched_label && hit.matched_label !== hit.label) {
          var matched = document.createElement("span");
          matched.className = "matched";
          matched.textContent = " (" + hit.matched_label + ")";
          item.appendChild(matched);
        }
        if (hit.category) {
          var tag = document.createElement("span");
          tag.className = "tag";
          tag.textContent = hit.category;
          item.appendChild(tag);
        }
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function suggest() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      var mine = ++sequence;
      var params = new URLSearchParams({ q: q, lang: lang, limit: "8" });
      fetch("/search?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (mine === sequence) { show(data.results || []); } })
        .catch(function () { close(); });
    }

    function move(step) {
      var items = list.querySelectorAll("li");
      if (!items.length) { return; }
      if (active >= 0) { items[active].classList.remove("active"); items[active].removeAttribute("aria-selected"); }
      active = (active + step + items.length) % items.length;
      items[active].classList.add("active");
      items[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[active].id);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(suggest, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        var link = list.querySelectorAll("li a")[active];
        if (link) { window.location.href = link.href; }
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 200); });
  }

  setupCopyButtons();
  setupAutocomplete();
}());
