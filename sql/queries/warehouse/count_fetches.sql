-- Feed fetches in a staged run's Parquet file ($1: its path).
SELECT count(*) FROM read_parquet(?)
