// Placeholder so the module builds; see issue 5.
