import NodeInstaller

// The installer's side of the report, named apart from the operator's type of the same name.
// This file imports NodeInstaller but not WasmOperator, so `InstallerReport` here is the writer's type.
typealias WrittenInstallerReport = InstallerReport
typealias WrittenRuntime = InstallerReport.Runtime
typealias WrittenError = InstallerReport.ErrorInfo
typealias WrittenResult = InstallerReport.Result
