import ArgumentParser

/// The `finch` command: a thin shell over the libraries (DESIGN §2).
@main
struct Finch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finch",
        abstract: "Finch — a self-hosted fine-tuning server that speaks the OpenAI API.",
        discussion: """
            Start the server with `finch serve`, then point the official `openai` SDK at \
            http://HOST:PORT/v1. Every subcommand has its own --help.
            """,
        subcommands: [
            ServeCommand.self,
            GenerateCommand.self,
            ModelsCommand.self,
            TrainCommand.self,
            ExportCommand.self,
            LogitsCommand.self,
            PrepareDataCommand.self,
            FilesCommand.self,
            JobsCommand.self,
            ChatCommand.self,
        ]
    )
}
