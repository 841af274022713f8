// FinchTraining: see shared/DESIGN.md §2.
enum FinchTrainingModule {}
