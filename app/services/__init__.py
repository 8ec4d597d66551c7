"""Operations shared by views, jobs and the consumer, one package per feature (docs/architecture.md)."""
