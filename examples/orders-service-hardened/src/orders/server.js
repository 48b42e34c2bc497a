// Orders API: accepts checkout orders and stores them in Postgres.
const http = require("node:http");
const { Pool } = require("pg");

const pool = new Pool({ host: process.env.DATABASE_HOST, database: "orders" });

const server = http.createServer(async (req, res) => {
  if (req.method === "POST" && req.url === "/orders") {
    let body = "";
    for await (const chunk of req) body += chunk;
    const order = JSON.parse(body);
    const result = await pool.query(
      "INSERT INTO orders (customer_id, total_cents) VALUES ($1, $2) RETURNING id",
      [order.customerId, order.totalCents],
    );
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: result.rows[0].id }));
    return;
  }
  res.writeHead(404).end();
});

server.listen(8080);
