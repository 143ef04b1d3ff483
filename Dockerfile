# Cairn: a CDS Hooks service. Multi-stage: build the TypeScript server and the Cairn app, then run
# on a slim Node 22 LTS image. Pinned to a release (not `22`): a rebuild gets the same Node until
# this line is changed on purpose.
FROM node:22.22.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` also builds the Cairn app (app/, Vite) into app/dist, which Cairn serves at /app/.
COPY app ./app
RUN npm run build && npm prune --omit=dev

FROM node:22.22.2-bookworm-slim
ENV NODE_ENV=production PORT=3000 CAIRN_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/app/dist ./app/dist
COPY package.json ./
COPY cds-hooks ./cds-hooks
COPY guidelines ./guidelines
COPY trials ./trials
COPY vectors ./vectors
COPY fhir-profiles ./fhir-profiles
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Liveness: /healthz answers as soon as Cairn listens (docker-compose.yml checks readiness, /readyz).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/cli/serve.js"]
