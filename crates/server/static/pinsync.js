// pinsync dashboard: progressive enhancement only. Every page works without this script.
// The audience combobox: as the user types, it searches the ad account's Pinterest
// audiences (same service as the REST API) and offers "Create new audience: <name>".
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function option(list, text, onChoose) {
    var li = document.createElement("li");
    li.setAttribute("role", "option");
    li.id = list.id + "-" + list.children.length;
    li.textContent = text;
    li.addEventListener("mousedown", function (event) { event.preventDefault(); onChoose(); });
    li._choose = onChoose;
    list.appendChild(li);
  }

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var step = input.getAttribute("data-step");
    var accountField = document.getElementById(input.getAttribute("data-ad-account-field"));
    var idField = document.getElementById(input.getAttribute("data-audience-id-field"));
    var active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mode(value) {
      var radio = document.getElementById("mode-" + value + "-" + step);
      if (radio) { radio.checked = true; }
    }
    function highlight(index) {
      var items = list.children;
      for (var i = 0; i < items.length; i++) { items[i].setAttribute("aria-selected", i === index ? "true" : "false"); }
      active = index;
      if (items[index]) { input.setAttribute("aria-activedescendant", items[index].id); }
    }
    function render(name, audiences) {
      list.innerHTML = "";
      audiences.forEach(function (audience) {
        option(list, audience.name + " (existing, " + audience.id + ")", function () {
          input.value = audience.name;
          idField.value = audience.id;
          mode("existing");
          close();
        });
      });
      var exact = audiences.some(function (a) { return a.name.toLowerCase() === name.toLowerCase(); });
      if (name && !exact) {
        option(list, "Create new audience: " + name, function () {
          input.value = name;
          mode("new");
          close();
        });
      }
      list.hidden = list.children.length === 0;
      input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
      active = -1;
    }
    var search = debounce(function () {
      var name = input.value.trim();
      var account = accountField ? accountField.value : "";
      if (!account) { render(name, []); return; }
      var url = "/partners/pinterest/ad_accounts/" + encodeURIComponent(account) +
        "/audiences?query=" + encodeURIComponent(name);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (page) { if (input.value.trim() === name) { render(name, page.items || []); } })
        .catch(function () { render(name, []); });
    }, 200);

    input.addEventListener("input", search);
    input.addEventListener("focus", search);
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("keydown", function (event) {
      var count = list.children.length;
      if (event.key === "ArrowDown" && count) { event.preventDefault(); list.hidden = false; highlight((active + 1) % count); }
      else if (event.key === "ArrowUp" && count) { event.preventDefault(); highlight((active - 1 + count) % count); }
      else if (event.key === "Enter" && active >= 0 && !list.hidden) { event.preventDefault(); list.children[active]._choose(); }
      else if (event.key === "Escape") { close(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("[data-combobox] input[role=combobox]");
    for (var i = 0; i < inputs.length; i++) { setup(inputs[i]); }
    var notice = document.getElementById("editor-notice");
    if (notice) { notice.focus(); }
  });
})();
