-- The newest change in the warehouse: the index is current when its watermark reaches it.
SELECT max(updated_at) FROM articles;
