// Enhances the query page: replaces the plain form with the Yasgui editor when the script can run.
// Without JavaScript the form still GETs /sparql and the server renders the results table.
"use strict";
(function () {
  const mount = document.getElementById("yasgui");
  const form = document.getElementById("sparql-form");
  if (!mount || !form || typeof window.Yasgui !== "function") return;
  const textarea = document.getElementById("sparql-query");
  const yasgui = new window.Yasgui(mount, {
    requestConfig: { endpoint: new URL(mount.dataset.endpoint, window.location.href).href, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [] },
    persistenceId: null,
  });
  const tab = yasgui.getTab();
  tab.setQuery(textarea.value);
  form.hidden = true;
  mount.hidden = false;
  const serverResults = document.getElementById("sparql-results");
  if (serverResults) {
    serverResults.hidden = true;
    tab.query();
  }
  document.querySelectorAll(".sparql-examples a[data-query]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      yasgui.getTab().setQuery(link.dataset.query);
    });
  });
})();
