// Placeholder so the module builds; see the module's issue.
