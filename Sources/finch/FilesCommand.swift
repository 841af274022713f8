import ArgumentParser
import FinchAPI
import FinchClient
import Foundation

/// `finch files upload|list|get|delete`: the Files API of a running server.
struct FilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Upload, list, show and delete files on a Finch (or OpenAI-compatible) server.",
        subcommands: [Upload.self, List.self, Get.self, Content.self, Delete.self]
    )

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a file (streamed from disk); prints its id.",
            discussion: "finch files upload marv.jsonl --purpose fine-tune")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The file to upload.") var path: String
        @Option(help: "What the file is for: fine-tune, batch, assistants, user_data, evals, vision.") var purpose = "fine-tune"
        @Flag(help: "Print the file object as JSON.") var json = false

        func run() async throws {
            let client = try options.client()
            let file = try await reportingErrors { try await client.uploadFile(path: path, purpose: purpose) }
            if json { printJSON(file.json) } else { Terminal.write(FilesCommand.rows([file.value]) + "\n") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List files, newest first.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var list: ListOptions
        @Option(help: "Only files of this purpose.") var purpose: String?

        func run() async throws {
            let client = try options.client()
            let page = try await reportingErrors {
                try await client.listFiles(purpose: purpose, limit: list.limit, after: list.after)
            }
            if list.json { return printJSON(page.json) }
            let header = ["ID", "PURPOSE", "SIZE", "CREATED", "FILENAME"]
            Terminal.write(page.value.data.isEmpty ? "No files.\n" : FilesCommand.rows(page.value.data, header: header) + "\n")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one file.")

        @OptionGroup var show: ShowOptions

        func run() async throws {
            try await show.show({ try await $0.file($1) }) { f in
                TextFormatting.fields([
                    ("id", f.id), ("filename", f.filename), ("purpose", f.purpose.rawValue), ("bytes", String(f.bytes)),
                    ("status", f.status.rawValue), ("created_at", TextFormatting.dateTime(f.createdAt)),
                    ("expires_at", f.expiresAt.map(TextFormatting.dateTime)), ("status_details", f.statusDetails),
                ])
            }
        }
    }

    struct Content: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a file's content (a job's results CSV, say) to stdout or --output.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The file id (file-…).") var id: String
        @Option(name: [.customShort("o"), .long], help: "Write to this file (replaced whole, never left partial).")
        var output: String?

        func run() async throws {
            let client = try options.client()
            if let output {
                let bytes = try await reportingErrors { try await client.downloadFile(id, to: output) }
                Terminal.writeError("Wrote \(bytes) bytes to \(output)\n")
            } else {
                FileHandle.standardOutput.write(try await reportingErrors { try await client.fileContent(id) })
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a file.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The file id (file-…).") var id: String

        func run() async throws {
            let client = try options.client()
            let deleted = try await reportingErrors { try await client.deleteFile(id) }
            Terminal.write(deleted.deleted ? "Deleted \(deleted.id).\n" : "The server did not delete \(deleted.id).\n")
            if !deleted.deleted { throw ExitCode.failure }
        }
    }

    /// One line per file: id, purpose, size, created, name.
    static func rows(_ files: [OpenAIFile], header: [String]? = nil) -> String {
        let rows = files.map { f in
            [f.id, f.purpose.rawValue, TextFormatting.bytes(f.bytes), TextFormatting.dateTime(f.createdAt), f.filename]
        }
        return TextFormatting.table((header.map { [$0] } ?? []) + rows)
    }
}
