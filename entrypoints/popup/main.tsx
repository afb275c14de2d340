import ReactDOM from 'react-dom/client';
import { SyncPanel } from '../../components/SyncPanel';
import '../../components/extension-page.css';

ReactDOM.createRoot(document.getElementById('root')!).render(<SyncPanel />);
