// The shop web front end (the lab ships its metadata, not a runnable app).
const express = require('express');
express().use(express.static('public')).listen(8080);
