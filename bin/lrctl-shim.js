#!/usr/bin/env node
import '../dist/bundle/shim.js';
