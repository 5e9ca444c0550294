import ArgumentParser

/// `kubereach`: which traffic a Kubernetes cluster allows, and why.
public struct Kubereach: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "kubereach",
    abstract: "Tells which traffic a Kubernetes cluster's policies allow, and why.",
    subcommands: [
      AnalyzeCommand.self, ExplainCommand.self, DiffCommand.self, RenderCommand.self, ReportCommand.self,
      CheckCommand.self, GenerateCommand.self, SimulateCommand.self, SynthCommand.self,
    ])

  public init() {}
}
