"""Operations shared by views, jobs and the consumer."""
