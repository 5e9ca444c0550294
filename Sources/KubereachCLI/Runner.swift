import ArgumentParser
import Checks
import Formats
import Foundation
import KubeModel

/// Where a command writes: captured in tests, the process streams otherwise.
public final class CommandIO {
  /// Where standard output goes: collected in memory (tests), or, in the process, straight to
  /// the descriptor through a 64 KiB buffer, so that no output is held whole.
  public let output: any OutputSink
  /// Standard output as collected (empty when it streams to the process's standard output).
  public var standardOutput: [UInt8] { (output as? ByteCollector)?.bytes ?? [] }
  public var standardError: [UInt8] = []
  /// Bytes given as standard input (read lazily from the process when nil).
  public var standardInput: [UInt8]?
  /// Lines printed to standard error after everything else, so that they follow the results
  /// (the summary of policy objects that were not evaluated).
  public var trailer: [String] = []

  public init(standardInput: [UInt8]? = nil) {
    self.standardInput = standardInput
    self.output = ByteCollector()
  }

  init(output: any OutputSink) {
    self.output = output
  }

  public func write(_ text: String) { output.write(text) }
  public func write(bytes: [UInt8]) { output.write(bytes) }
  public func log(_ text: String) { standardError.append(contentsOf: text.utf8) }
}

/// The exit codes, decided here and nowhere else.
public enum ExitStatus: Int32, Sendable {
  /// The command did its job.
  case success = 0
  /// A gate found what it guards against (used by `check`).
  case findings = 1
  /// Bad input or bad usage: nothing reliable could be computed.
  case inputError = 2

  /// `check`: findings at or above the fail level fail the run.
  init(_ report: CheckReport) {
    self = report.failing.isEmpty ? .success : .findings
  }

  /// `explain`: the flow is denied (0 allowed, 1 denied, 2 bad input, as `kubectl auth can-i`).
  public static var denied: ExitStatus { .findings }
}

/// A failure that ends a command with a status and diagnostics to print.
public struct CommandFailure: Error {
  public var status: ExitStatus
  public var diagnostics: [Diagnostic]

  public init(status: ExitStatus = .inputError, _ diagnostics: [Diagnostic]) {
    self.status = status
    self.diagnostics = diagnostics
  }

  public static func usage(_ message: String) -> CommandFailure {
    CommandFailure([.error(.usage, message, at: nil)])
  }
}

/// A subcommand that runs against a `CommandIO`, so tests can run it in-process.
protocol IOCommand: ParsableCommand {
  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus
}

extension IOCommand {
  public func run() throws {
    preconditionFailure("kubereach commands run through Kubereach.run(arguments:io:)")
  }
}

/// Prints diagnostics, sorted, one per line, the one place that does.
enum DiagnosticPrinter {
  static func print(_ diagnostics: [Diagnostic], to io: CommandIO) {
    for diagnostic in Array(Set(diagnostics)).sorted() {
      io.log(diagnostic.description + "\n")
    }
  }
}

extension Kubereach {
  /// Parses the arguments, runs the command, prints diagnostics and returns the exit status.
  public static func run(arguments: [String], io: CommandIO) -> Int32 {
    do {
      let command = try Kubereach.parseAsRoot(arguments)
      guard let runnable = command as? any IOCommand else {
        io.write(helpText(for: arguments.filter { $0 != "help" }) + "\n")
        return ExitStatus.success.rawValue
      }
      let status = try runnable.execute(io)
      for line in io.trailer { io.log(line + "\n") }
      return status.rawValue
    } catch let failure as CommandFailure {
      DiagnosticPrinter.print(failure.diagnostics, to: io)
      return failure.status.rawValue
    } catch {
      let message = Kubereach.fullMessage(for: error)
      let code = Kubereach.exitCode(for: error)
      if code == .success {
        let isHelp = arguments.contains("--help") || arguments.contains("-h")
        io.write((isHelp ? helpText(for: arguments) : message) + "\n")
        return ExitStatus.success.rawValue
      }
      io.log(message + "\n")
      return ExitStatus.inputError.rawValue
    }
  }

  /// The help of the (nested) subcommand named on the command line (`generate from-flows`),
  /// or of the root command.
  static func helpText(for arguments: [String]) -> String {
    var found: ParsableCommand.Type? = nil
    var candidates = configuration.subcommands
    for word in arguments where !word.hasPrefix("-") {
      guard let next = candidates.first(where: { $0._commandName == word }) else { break }
      found = next
      candidates = next.configuration.subcommands
    }
    return found.map { Kubereach.helpMessage(for: $0) } ?? Kubereach.helpMessage()
  }

  /// The process entry point: real streams, real exit. A failed write to standard output is an
  /// error (exit 2); a closed pipe (`| head`) ends the run quietly, as Unix tools do.
  public static func runAsProcess() -> Never {
    signal(SIGPIPE, SIG_IGN)
    let standardOutput = DescriptorSink(STDOUT_FILENO)
    let io = CommandIO(output: standardOutput)
    var status = run(arguments: Array(CommandLine.arguments.dropFirst()), io: io)
    let result = standardOutput.flush()
    _ = OutputWriter.writeAll(io.standardError, to: STDERR_FILENO)
    switch result {
    case .written:
      break
    case .closedPipe:
      signal(SIGPIPE, SIG_DFL)
      raise(SIGPIPE)
    case .failed(let code):
      let message = Diagnostic.error(
        .output, "cannot write standard output: \(OutputWriter.describe(errno: code))", at: nil)
      _ = OutputWriter.writeAll(Array((message.description + "\n").utf8), to: STDERR_FILENO)
      status = ExitStatus.inputError.rawValue
    }
    Foundation.exit(status)
  }
}
