DROP VIEW IF EXISTS user_earnings_daily;
