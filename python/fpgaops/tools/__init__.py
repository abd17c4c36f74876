"""Developer tools of the project (not imported by `import fpgaops`)."""
