import NodeInstaller

// The installer's side of the report, named apart from the operator's type of the same name.
// Only this file imports NodeInstaller, so `InstallerReport` here is the writer's type.
typealias WrittenInstallerReport = InstallerReport
typealias WrittenRuntime = InstallerReport.Runtime
typealias WrittenError = InstallerReport.ErrorInfo
