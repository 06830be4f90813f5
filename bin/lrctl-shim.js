#!/usr/bin/env node
import '../dist/shim/main.js';
