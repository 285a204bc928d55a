import Testing

@Test func nodeInstallerModuleLoads() {}
