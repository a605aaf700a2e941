// The shop API (the lab ships its metadata, not a runnable app).
const express = require('express');
express()
  .get('/healthz', (_req, res) => res.send('ok'))
  .listen(8080);
