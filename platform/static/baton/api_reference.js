// Starts Swagger UI on the API reference page; the document's URL comes from
// the page (data-spec), so no inline script is needed.
(function () {
  "use strict";
  var root = document.getElementById("api-reference");
  if (!root || typeof SwaggerUIBundle === "undefined") return;
  SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: true,
    // The page is for reading: "Try it out" would send the token from a browser.
    supportedSubmitMethods: [],
  });
})();
